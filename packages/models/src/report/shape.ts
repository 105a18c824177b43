// The model's dimensions and variant switches, read from a resolved config once, so the parameter
// table, the FLOPs and the memory estimate all see the same numbers. Pure: nothing is allocated.
import type { ResolvedConfig } from "@neox/config";

/** A config the report cannot describe: each problem names the key and what was expected. */
export interface ReportProblem {
  key: string;
  message: string;
}

export class ModelReportError extends Error {
  readonly problems: readonly ReportProblem[];

  constructor(problems: readonly ReportProblem[]) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join("; "));
    this.name = "ModelReportError";
    this.problems = problems;
  }
}

export type NormKind = "layernorm" | "rmsnorm" | "scalenorm" | "non_parametric_layernorm";

export interface ModelShape {
  /** "gpt-neox" (GPT-NeoX/Pythia and GPT-3 style), "llama" or "mistral": the models/ folder it maps to. */
  architecture: "gpt-neox" | "llama" | "mistral";
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headSize: number;
  paddedVocab: number;
  maxPositions: number;
  /** seq_length, else max_position_embeddings (GPT-NeoX requires seq_length ≤ max_position_embeddings). */
  seqLength: number;
  posEmb: string;
  norm: NormKind;
  normBias: boolean;
  attnBias: boolean;
  mlpBias: boolean;
  gptJResidual: boolean;
  gptJTied: boolean;
  /** Output logits reuse word_embeddings.weight (no_weight_tying: false). */
  tiedOutput: boolean;
  gated: boolean;
  linear1Out: number;
  linear2In: number;
  attentionTypes: readonly string[];
}

const NORMS = new Set<string>(["layernorm", "rmsnorm", "scalenorm", "non_parametric_layernorm"]);
/** Attention types whose parameters are the dense QKV + output projection (sparsity changes no weight). */
const DENSE_ATTENTION = new Set([
  "global",
  "flash",
  "local",
  "sparse_fixed",
  "sparse_variable",
  "bigbird",
  "bslongformer",
]);

const posInt = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 1 ? v : null;

/**
 * Reads the dimensions a report needs. Throws ModelReportError listing every missing or unsupported
 * value at once. Validation of ranges and combinations is the config package's job; this only
 * refuses what would make the numbers meaningless (a missing size, an unknown padded vocabulary).
 */
export function modelShape(r: ResolvedConfig): ModelShape {
  const v = r.values;
  const d = r.derived;
  const problems: ReportProblem[] = [];
  const need = (key: string, value: unknown, what = "a positive whole number"): number => {
    const n = posInt(value);
    if (n === null)
      problems.push({ key, message: `expected ${what}, got ${JSON.stringify(value) ?? "nothing"}` });
    return n ?? 1;
  };
  const layers = need("num_layers", v.num_layers);
  const hidden = need("hidden_size", v.hidden_size);
  const heads = need("num_attention_heads", v.num_attention_heads);
  const kvHeads = v.num_kv_heads == null ? heads : need("num_kv_heads", v.num_kv_heads);
  const maxPositions = need("max_position_embeddings", v.max_position_embeddings);
  // from the tokenizer (derived), or written in the config itself (a checkpoint's config)
  const paddedVocab = need(
    "padded_vocab_size",
    d.padded_vocab_size ?? v.padded_vocab_size,
    "the padded vocabulary size, known once the config's tokenizer (tokenizer_type, vocab_file) loads",
  );
  if (hidden % heads !== 0)
    problems.push({
      key: "num_attention_heads",
      message: `expected a divisor of hidden_size (${hidden}), got ${heads}`,
    });
  if (heads % kvHeads !== 0)
    problems.push({
      key: "num_kv_heads",
      message: `expected a divisor of num_attention_heads (${heads}), got ${kvHeads}`,
    });
  const norm = String(v.norm ?? "layernorm");
  if (!NORMS.has(norm))
    problems.push({
      key: "norm",
      message: `expected one of ${[...NORMS].join(", ")} for a size report, got ${JSON.stringify(norm)}`,
    });
  const attentionTypes = d.attention_config ?? Array.from({ length: layers }, () => "global");
  const odd = attentionTypes.find((t) => !DENSE_ATTENTION.has(t));
  if (odd !== undefined)
    problems.push({
      key: "attention_config",
      message: `expected attention types with dense QKV weights (${[...DENSE_ATTENTION].join(", ")}), got ${JSON.stringify(odd)}`,
    });
  if (typeof v.moe_num_experts === "number" && v.moe_num_experts > 1)
    problems.push({
      key: "moe_num_experts",
      message: `expected 1 (mixture-of-experts is not sized yet), got ${v.moe_num_experts}`,
    });
  if (v.use_qk_layernorm === true)
    problems.push({
      key: "use_qk_layernorm",
      message: "expected false (QK-norm parameters are not sized yet), got true",
    });
  const posEmb = String(v.pos_emb ?? "learned");
  if (posEmb === "rpe")
    problems.push({
      key: "pos_emb",
      message: `expected learned, rotary, sinusoidal, alibi or none (rpe is not sized yet), got "rpe"`,
    });
  const l1 = d.mlp_linear1_out_features;
  const l2 = d.mlp_linear2_in_features;
  if (l1 === null || l2 === null)
    problems.push({
      key: "intermediate_size",
      message: "expected MLP widths derivable from hidden_size, intermediate_size or expansion_factor",
    });
  else if (d.gated_mlp && l1 !== 2 * l2)
    // GPT-NeoX would fail on the first forward (neox-spec §1.1: linear1.out must be 2 × linear2.in)
    problems.push({
      key: "mlp_multiple_of",
      message: `expected widths with mlp.linear1 output (${l1}) = 2 × mlp.linear2 input (${l2}) for a gated MLP; set intermediate_size and mlp_multiple_of as the Llama presets do`,
    });
  const seqLength = posInt(v.seq_length) ?? maxPositions;
  if (problems.length > 0) throw new ModelReportError(problems);

  const gated = d.gated_mlp;
  const architecture =
    v.sliding_window_width != null ? "mistral" : norm === "rmsnorm" && gated ? "llama" : "gpt-neox";
  return {
    architecture,
    layers,
    hidden,
    heads,
    kvHeads,
    headSize: hidden / heads,
    paddedVocab,
    maxPositions,
    seqLength,
    posEmb,
    norm: norm as NormKind,
    normBias: v.use_bias_in_norms !== false,
    attnBias: v.use_bias_in_attn_linear !== false,
    mlpBias: v.use_bias_in_mlp !== false,
    gptJResidual: v.gpt_j_residual === true,
    gptJTied: v.gpt_j_tied === true,
    tiedOutput: v.no_weight_tying !== true,
    gated,
    linear1Out: l1!,
    linear2In: l2!,
    attentionTypes,
  };
}
