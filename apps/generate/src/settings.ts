// The generation settings read from a resolved config: GPT-NeoX's text-generation keys (neox-spec
// §1.6), checked here so a bad value is reported with its key before any weights are loaded.
import type { ResolvedConfig } from "@neox/config";
import type { SamplingParams } from "@neox/models";

export type TextGenType = "unconditional" | "input-file" | "interactive";
const TYPES: readonly TextGenType[] = ["unconditional", "input-file", "interactive"];

export interface GenerateSettings {
  mode: TextGenType;
  sampling: SamplingParams;
  /** GPT-NeoX's maximum_tokens; null where it is 0 or null (then: up to the context). */
  maximumTokens: number | null;
  recompute: boolean;
  numSamples: number;
  seed: number;
  promptEnd: string;
  inputFile: string | null;
  /** null: GPT-NeoX's default for the mode (input-file: <input>.output.jsonl; else no file). */
  outputFile: string | null;
  seqLength: number;
}

/** A config value that cannot drive generation; names the key. */
export class GenerateConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = "GenerateConfigError";
  }
}

export function readSettings(r: ResolvedConfig): GenerateSettings {
  const v = r.values;
  const mode = r.derived.text_gen_type as TextGenType;
  if (!TYPES.includes(mode))
    throw new GenerateConfigError(
      "text_gen_type",
      `"${mode}" is not a generation mode; expected one of ${TYPES.join(", ")}`,
    );
  const seqLength = int(v, "seq_length", 1);
  if (seqLength === null)
    throw new GenerateConfigError("seq_length", "generation needs seq_length (the context)");
  const inputFile = str(v, "sample_input_file");
  if (mode === "input-file" && inputFile === null)
    throw new GenerateConfigError(
      "sample_input_file",
      "text_gen_type input-file needs sample_input_file (the prompts to complete)",
    );
  const maximum = int(v, "maximum_tokens", 0);
  return {
    mode,
    sampling: {
      temperature: num(v, "temperature", 0) ?? 0,
      topK: int(v, "top_k", 0) ?? 0,
      topP: num(v, "top_p", 0, 1) ?? 0,
    },
    // GPT-NeoX: `maximum_tokens or (seq_length - context - 1)`, so 0 means the default too
    maximumTokens: maximum === null || maximum === 0 ? null : maximum,
    recompute: v.recompute === true,
    numSamples: int(v, "num_samples", 1) ?? 1,
    seed: int(v, "seed", 0) ?? 1234,
    promptEnd: str(v, "prompt_end") ?? "\n",
    inputFile,
    outputFile: str(v, "sample_output_file"),
    seqLength,
  };
}

function num(v: Readonly<Record<string, unknown>>, key: string, min: number, max = Infinity): number | null {
  const x = v[key];
  if (x === null || x === undefined) return null;
  if (typeof x !== "number" || !Number.isFinite(x) || x < min || x > max)
    throw new GenerateConfigError(
      key,
      `expected a number in [${min}, ${max === Infinity ? "inf" : max}], got ${JSON.stringify(x)}`,
    );
  return x;
}

function int(v: Readonly<Record<string, unknown>>, key: string, min: number): number | null {
  const x = num(v, key, min);
  if (x !== null && !Number.isInteger(x))
    throw new GenerateConfigError(key, `expected an integer >= ${min}, got ${x}`);
  return x;
}

function str(v: Readonly<Record<string, unknown>>, key: string): string | null {
  const x = v[key];
  if (x === null || x === undefined) return null;
  if (typeof x !== "string")
    throw new GenerateConfigError(key, `expected a string, got ${JSON.stringify(x)}`);
  return x;
}
