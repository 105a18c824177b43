// GPT-NeoX's cross-key checks (neox-spec §3.3: validate_values and calculate_derived), each checked
// only when the keys it needs are present, so a single file can be checked as a fragment.

import { mlpWidths } from "../derive";
import { isPlainObject } from "../load/merge";
import type { Problem } from "../problems";

export interface CombinationInput {
  /** Every declared key, given or default. */
  values: Readonly<Record<string, unknown>>;
  /** Keys set by a file or `--set`. */
  given: ReadonlySet<string>;
  /** The files together make a whole config, so a key's absence means it is unset (not elsewhere). */
  complete: boolean;
}

type Rule = (c: CombinationInput) => Omit<Problem, "kind" | "file" | "line"> | undefined;

const n = (v: unknown) => (typeof v === "number" ? v : null);
const has = (c: CombinationInput, ...keys: string[]) => keys.every((k) => c.given.has(k));
const attnTypes = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.flatMap((i) => (typeof i === "string" ? [i] : Array.isArray(i) && Array.isArray(i[0]) ? i[0] : []))
    : [];

const RULES: Rule[] = [
  (c) => {
    const h = n(c.values.hidden_size);
    const a = n(c.values.num_attention_heads);
    if (!has(c, "hidden_size", "num_attention_heads") || h === null || !a) return;
    if (attnTypes(c.values.attention_config).includes("mamba")) return;
    if (h % a !== 0)
      return {
        key: "hidden_size",
        message: `hidden_size (${h}) must be divisible by num_attention_heads (${a})`,
      };
  },
  (c) => {
    const m = n(c.values.max_position_embeddings);
    const s = n(c.values.seq_length);
    if (has(c, "max_position_embeddings", "seq_length") && m !== null && s !== null && m < s)
      return {
        key: "max_position_embeddings",
        message: `max_position_embeddings (${m}) must be ≥ seq_length (${s})`,
      };
  },
  (c) => {
    if (!c.given.has("min_lr")) return;
    const opt = c.values.optimizer;
    const lr = isPlainObject(opt) && isPlainObject(opt.params) ? n(opt.params.lr) : 0.001;
    const min = n(c.values.min_lr);
    if (lr !== null && min !== null && min > lr)
      return { key: "min_lr", message: `min_lr (${min}) must be ≤ lr (${lr})` };
  },
  (c) => {
    if (
      c.complete &&
      c.given.has("save") &&
      c.values.save != null &&
      c.values.checkpoint_factor == null &&
      c.values.extra_save_iters == null
    )
      return {
        key: "save",
        message: "save is set but neither checkpoint_factor nor extra_save_iters says when to save",
      };
  },
  (c) => {
    const u = n(c.values.num_unique_layers);
    const l = n(c.values.num_layers);
    if (u === null || l === null || !has(c, "num_unique_layers")) return;
    if (u > l || l % u !== 0)
      return { key: "num_unique_layers", message: `num_unique_layers (${u}) must divide num_layers (${l})` };
  },
  (c) => {
    if (c.values.fp16_lm_cross_entropy !== true) return;
    const fp16 =
      c.values.precision === "fp16" || (isPlainObject(c.values.fp16) && c.values.fp16.enabled === true);
    if (!fp16) return { key: "fp16_lm_cross_entropy", message: "fp16_lm_cross_entropy needs fp16 precision" };
  },
  (c) => {
    const sets = ["train_data_paths", "valid_data_paths", "test_data_paths"].filter(
      (k) => c.values[k] != null,
    );
    if (sets.length === 3 && c.values.data_path != null)
      return { key: "data_path", message: "set either data_path or train/valid/test_data_paths, not both" };
    if (sets.length > 0 && sets.length < 3)
      return {
        key: sets[0]!,
        message: `train_data_paths, valid_data_paths and test_data_paths go together; only ${sets.join(", ")} set`,
      };
  },
  ...(["train", "valid", "test"] as const).map(
    (split): Rule =>
      (c) => {
        const paths = c.values[`${split}_data_paths`];
        const weights = c.values[`${split}_data_weights`];
        if (Array.isArray(paths) && Array.isArray(weights) && paths.length !== weights.length)
          return {
            key: `${split}_data_weights`,
            message: `${split}_data_weights has ${weights.length} entries but ${split}_data_paths has ${paths.length}`,
          };
      },
  ),
  (c) => {
    if (
      c.values.train_label_data_paths != null &&
      (c.values.train_data_paths == null || c.values.data_path != null)
    )
      return {
        key: "train_label_data_paths",
        message: "train_label_data_paths needs train_data_paths (and no data_path)",
      };
  },
  (c) => {
    if (c.values.train_iters != null && c.values.train_epochs != null)
      return { key: "train_epochs", message: "set train_iters or train_epochs, not both" };
  },
  (c) => {
    if (c.values.intermediate_size != null && c.values.expansion_factor != null)
      return {
        key: "expansion_factor",
        message: "intermediate_size and expansion_factor are mutually exclusive",
      };
  },
  (c) => {
    const h = n(c.values.hidden_size);
    if (h === null || !has(c, "hidden_size")) return;
    const mlp = mlpWidths(c.values, h);
    if (mlp.gated && mlp.linear1Out !== 2 * mlp.linear2In!)
      return {
        key: "mlp_multiple_of",
        message: `gated activation "${c.values.activation}": linear1 width ${mlp.linear1Out} must be twice linear2 width ${mlp.linear2In}; set mlp_multiple_of (e.g. 256) or intermediate_size so the halves match`,
      };
  },
  (c) => {
    const kv = n(c.values.num_kv_heads);
    const a = n(c.values.num_attention_heads);
    if (kv === null || a === null) return;
    if (a % kv !== 0 || kv > a)
      return { key: "num_kv_heads", message: `num_kv_heads (${kv}) must divide num_attention_heads (${a})` };
    const tp = n(c.values.model_parallel_size) ?? 1;
    if (kv < a && kv % tp !== 0)
      return {
        key: "num_kv_heads",
        message: `num_kv_heads (${kv}) must be a multiple of model_parallel_size (${tp})`,
      };
    const other = attnTypes(c.values.attention_config).filter((t) => t !== "global" && t !== "flash");
    if (kv < a && other.length > 0)
      return {
        key: "num_kv_heads",
        message: `grouped-query attention works only with global or flash attention, not ${other[0]}`,
      };
  },
  (c) => {
    const en = (d: unknown) => isPlainObject(d) && d.enabled === true;
    if (en(c.values.fp16) && en(c.values.bf16))
      return { key: "bf16", message: "fp16 and bf16 are both enabled" };
  },
  (c) => {
    if (c.values.train_epochs == null) return;
    if (c.values.pack_impl !== "packed")
      return { key: "train_epochs", message: "train_epochs needs pack_impl: packed" };
    if (c.values.weight_by_num_documents === true)
      return { key: "train_epochs", message: "train_epochs cannot be combined with weight_by_num_documents" };
    const w = c.values.train_data_weights;
    if (Array.isArray(w) && w.some((x) => x !== 1))
      return { key: "train_epochs", message: "train_epochs needs every train_data_weights entry to be 1" };
  },
];

/**
 * Keys GPT-NeoX derives from a DeepSpeed dict and overwrites whatever a config says (calculate_derived):
 * setting one to another value than its dict gives would be silently ignored there; here it is an
 * error that names the dict entry to set instead.
 */
const MIRRORS: readonly [key: string, dict: string, entry: string[], fallback: unknown][] = [
  ["lr", "optimizer", ["params", "lr"], 0.001],
  ["optimizer_type", "optimizer", ["type"], "adam"],
  ["zero_stage", "zero_optimization", ["stage"], 0],
  ["zero_reduce_scatter", "zero_optimization", ["reduce_scatter"], true],
  ["zero_contiguous_gradients", "zero_optimization", ["contiguous_gradients"], false],
  ["zero_reduce_bucket_size", "zero_optimization", ["reduce_bucket_size"], 500_000_000],
  ["zero_allgather_bucket_size", "zero_optimization", ["allgather_bucket_size"], 500_000_000],
];

function mirrorProblems(c: CombinationInput): Omit<Problem, "kind" | "file" | "line">[] {
  const out: Omit<Problem, "kind" | "file" | "line">[] = [];
  for (const [key, dict, entry, fallback] of MIRRORS) {
    const given = c.values[key];
    if (!c.given.has(key) || given === null || given === undefined) continue;
    let v: unknown = c.values[dict];
    for (const k of entry) v = isPlainObject(v) && Object.hasOwn(v, k) ? v[k] : undefined;
    const derived = v ?? fallback;
    const same =
      typeof given === "string" && typeof derived === "string"
        ? given.toLowerCase() === derived.toLowerCase()
        : JSON.stringify(given) === JSON.stringify(derived);
    if (!same)
      out.push({
        key,
        message: `${key} is derived from ${dict}.${entry.join(".")} (${JSON.stringify(derived)}${v === undefined ? ", the default" : ""}) and cannot be set to ${JSON.stringify(given)}; set ${dict}.${entry.join(".")} instead`,
      });
  }
  return out;
}

export function combinationProblems(c: CombinationInput): Omit<Problem, "file" | "line">[] {
  const out: Omit<Problem, "file" | "line">[] = mirrorProblems(c).map((p) => ({
    kind: "combination" as const,
    ...p,
  }));
  for (const rule of RULES) {
    const p = rule(c);
    if (p) out.push({ kind: "combination", ...p });
  }
  return out;
}
