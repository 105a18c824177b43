// The shape of a Hugging Face table: how each of our parameters becomes HF tensors and back, and
// how each config.json field maps to our config keys. One table per architecture lives beside its
// model (gpt-neox/, llama/, mistral/ hf-adapter.ts); the engine in @neox/convert applies a table in
// either direction. Also the field parsers and the fields every table shares.
import type { ModelSpec } from "./spec";

/**
 * How one of our parameters becomes HF tensors and back:
 * - copy: one HF tensor, same shape and values;
 * - qkv: our fused query_key_value (per-head interleaved for MHA, blocked [Q | K | V] for GQA) <->
 *   HF's q_proj, k_proj, v_proj (`hf` lists them in that order);
 * - gated: our linear1 = [up ‖ gate] (GPT-NeoX applies the activation to the second half) <->
 *   HF's up_proj and gate_proj (`hf` lists them in that order).
 */
export type HfTransform = "copy" | "qkv" | "gated";

export interface HfTensorRule {
  /** Our parameter name; `{i}` stands for the layer index. */
  ours: string;
  /** The HF tensor name(s), `{i}` likewise. */
  hf: readonly string[];
  transform: HfTransform;
  /** When the parameter exists (biases, the untied head); always when absent. */
  when?: (s: ModelSpec) => boolean;
}

/** A config value in HF's config.json, from our model's spec (and config values) and back. */
export interface HfConfigField {
  hf: string;
  /** The value written by hf-export. */
  toHf: (s: ModelSpec, v: Readonly<Record<string, unknown>>) => unknown;
  /**
   * Our config keys for the HF value (hf-import). Absent: the field carries nothing we build from
   * and is only read (bos/eos ids, dtype). Throws an Error naming the field for a value we cannot
   * build.
   */
  fromHf?: (x: unknown, hf: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  /** transformers' default when config.json leaves the field out; absent: the field is required. */
  hfDefault?: unknown;
}

export interface HfAdapter {
  /** `--architecture` name. */
  name: "neox" | "llama" | "mistral";
  /** config.json `architectures[0]` and `model_type`. */
  hfClass: string;
  modelType: string;
  /** Tensors inside layer i, then the rest. */
  layerTensors: readonly HfTensorRule[];
  tensors: readonly HfTensorRule[];
  fields: readonly HfConfigField[];
  /**
   * Features of our model that this HF class cannot express, each as "key: why" (empty: the model
   * fits). hf-export refuses a model with any.
   */
  unsupported: (s: ModelSpec, v: Readonly<Record<string, unknown>>) => string[];
  /** Our config keys that every import of this class sets (the ones the HF class fixes). */
  fixedKeys: Readonly<Record<string, unknown>>;
}

/** A field read as a number (an Error naming the field otherwise). */
export function hfNumber(field: string, x: unknown): number {
  if (typeof x !== "number" || !Number.isFinite(x))
    throw new Error(`config.json "${field}": expected a number, found ${JSON.stringify(x)}`);
  return x;
}

/** A field read as a whole number ≥ 1. */
export function hfCount(field: string, x: unknown): number {
  const n = hfNumber(field, x);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`config.json "${field}": expected a whole number ≥ 1, found ${n}`);
  return n;
}

export function hfBool(field: string, x: unknown): boolean {
  if (typeof x !== "boolean")
    throw new Error(`config.json "${field}": expected true or false, found ${JSON.stringify(x)}`);
  return x;
}

/** The fields every architecture shares (sizes, head, init, cache). */
export const COMMON_FIELDS: readonly HfConfigField[] = [
  {
    hf: "vocab_size",
    // The padded size: the embedding's rows (neox-spec §4.6.7: rows past the tokenizer are untrained).
    toHf: (s) => s.V,
    fromHf: (x) => ({ padded_vocab_size: hfCount("vocab_size", x) }),
  },
  { hf: "hidden_size", toHf: (s) => s.C, fromHf: (x) => ({ hidden_size: hfCount("hidden_size", x) }) },
  {
    hf: "num_hidden_layers",
    toHf: (s) => s.L,
    fromHf: (x) => ({ num_layers: hfCount("num_hidden_layers", x) }),
  },
  {
    hf: "num_attention_heads",
    toHf: (s) => s.NH,
    fromHf: (x) => ({ num_attention_heads: hfCount("num_attention_heads", x) }),
  },
  {
    hf: "max_position_embeddings",
    toHf: (s) => s.maxPositions,
    // seq_length defaults to the whole context; a fine-tune usually lowers it.
    fromHf: (x) => {
      const n = hfCount("max_position_embeddings", x);
      return { max_position_embeddings: n, seq_length: n };
    },
  },
  {
    hf: "tie_word_embeddings",
    toHf: (s) => s.tiedOutput,
    fromHf: (x) => ({ no_weight_tying: !hfBool("tie_word_embeddings", x) }),
  },
  {
    hf: "initializer_range",
    toHf: (s) => s.initStd,
    fromHf: (x) => ({ init_method_std: hfNumber("initializer_range", x) }),
    hfDefault: 0.02,
  },
  { hf: "use_cache", toHf: () => true, hfDefault: true },
  // Filled in by hf-export from the tokenizer's end-of-document id (GPT-NeoX uses eod for both).
  { hf: "bos_token_id", toHf: () => null, hfDefault: null },
  { hf: "eos_token_id", toHf: () => null, hfDefault: null },
  // Filled in by hf-export from the precision it writes.
  { hf: "torch_dtype", toHf: () => "float32", hfDefault: "float32" },
];
