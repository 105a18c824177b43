// What an architecture requires of a GPT-NeoX config, as data: Llama is the GPT-NeoX decoder with
// RMSNorm, SwiGLU, full rotary, no biases and a sequential residual; Mistral is Llama with a sliding
// window. A config that is not of the architecture asked for fails naming the key.
import { formatSource, type ResolvedConfig } from "@neox/config";
import { ModelConfigError } from "./spec";

/** Required values by key; a function checks a value and says what it expected. */
export type ArchRequirements = Readonly<Record<string, unknown | ((v: unknown) => string | null)>>;

export function checkArchitecture(arch: string, r: ResolvedConfig, req: ArchRequirements): void {
  for (const [key, want] of Object.entries(req)) {
    const got = r.values[key];
    const problem =
      typeof want === "function"
        ? (want as (v: unknown) => string | null)(got)
        : got === want
          ? null
          : `${arch} needs ${key}: ${JSON.stringify(want)}`;
    if (problem) {
      const where = r.sources.get(key);
      const at = where ? ` (${formatSource(where)})` : r.given.has(key) ? "" : " (GPT-NeoX's default)";
      throw new ModelConfigError(key, `@neox/models: ${key} = ${JSON.stringify(got)}${at}: ${problem}`);
    }
  }
}
