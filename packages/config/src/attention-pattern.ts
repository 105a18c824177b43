// GPT-NeoX's expand_attention_types: `attention_config` to one attention type per layer.
import type { Problem } from "./problems";
import { preview } from "./problems";

/**
 * [[types, n], ...] or [[types, "all"]] (or one type per layer) to one type per layer. The length is
 * checked before anything is built, so a count of 10^9 costs nothing; `layers` is null when
 * num_layers is unset or out of range (reported by validation), and nothing is expanded then.
 */
export function expandAttention(
  config: unknown,
  layers: number | null,
  problems: Problem[],
): string[] | null {
  if (layers === null) return null;
  const cfg = config === null || config === undefined ? [[["global"], layers]] : config;
  if (!Array.isArray(cfg)) return null;
  const refuse = (kind: Problem["kind"], message: string): null => {
    problems.push({ kind, key: "attention_config", message });
    return null;
  };
  if (cfg.every((i) => typeof i === "string")) {
    if (cfg.length !== layers)
      return refuse(
        "combination",
        `attention_config lists ${cfg.length} layer types but num_layers is ${layers}`,
      );
    return [...(cfg as string[])];
  }
  const runs: [string[], number][] = [];
  let total = 0;
  for (const item of cfg) {
    if (
      !Array.isArray(item) ||
      item.length !== 2 ||
      !Array.isArray(item[0]) ||
      item[0].length === 0 ||
      !item[0].every((t) => typeof t === "string")
    ) {
      return refuse("type", `each entry must be [[types...], count], got ${preview(item, 60)}`);
    }
    const pattern = item[0] as string[];
    if (item[1] === "all") {
      // as GPT-NeoX: the first "all" entry alone decides every layer
      if (layers % pattern.length !== 0)
        return refuse(
          "combination",
          `num_layers (${layers}) is not divisible by the length of pattern ${preview(pattern, 60)}`,
        );
      return Array.from({ length: layers }, (_, i) => pattern[i % pattern.length]!);
    }
    const count = item[1];
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0)
      return refuse("type", `a count must be a whole number ≥ 0 or "all", got ${preview(count, 40)}`);
    total += count * pattern.length;
    if (total > layers)
      return refuse("combination", `attention_config expands to more than num_layers (${layers}) layers`);
    runs.push([pattern, count]);
  }
  const out: string[] = [];
  for (const [pattern, count] of runs) for (let r = 0; r < count; r++) out.push(...pattern);
  if (out.length !== layers) {
    refuse("combination", `attention_config expands to ${out.length} layers but num_layers is ${layers}`);
  }
  return out;
}
