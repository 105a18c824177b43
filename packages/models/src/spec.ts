// From a resolved GPT-NeoX config to the numbers and choices a model is built from. This is the one
// place that reads config keys: the layers and `forward` never do. A config asking for something
// the models cannot build (MoE, Mamba, T5 relative positions, ...) fails here with the key, its
// value and where it was set.
import { formatSource, type ResolvedConfig } from "@neox/config";
import { INIT_METHODS, type InitMethod } from "./init";
import { MLP_ACTIVATIONS, type MlpActivation } from "./layers/mlp";

export type Residual = "sequential" | "parallel" | "parallel_tied";
export type Positions = "learned" | "sinusoidal" | "rotary" | "alibi" | "none";
export type NormSpec =
  | { kind: "layernorm"; eps: number; bias: boolean }
  | { kind: "non_parametric_layernorm"; eps: number }
  | { kind: "rmsnorm"; eps: number; bias: boolean };

export interface ModelSpec {
  /** num_layers, hidden_size, num_attention_heads, num_kv_heads, head size. */
  L: number;
  C: number;
  NH: number;
  NKV: number;
  HS: number;
  /** padded_vocab_size (rows of word_embeddings and final_linear). */
  V: number;
  maxPositions: number;
  seqLength: number;
  residual: Residual;
  norm: NormSpec;
  activation: MlpActivation;
  linear1Out: number;
  linear2In: number;
  positions: Positions;
  rotDim: number;
  rotaryBase: number;
  /** sliding_window_width, or undefined for full causal attention. */
  window: number | undefined;
  attnBias: boolean;
  mlpBias: boolean;
  tiedOutput: boolean;
  initMethod: InitMethod;
  outputInitMethod: InitMethod;
  initStd: number;
  hiddenDropout: number;
  /** attention_dropout: drop probability of the attention probabilities in training. */
  attentionDropout: number;
  /** Layers per activation-checkpointed chunk (checkpoint_num_layers), 0 without checkpoint_activations. */
  checkpointLayers: number;
  seed: number;
}

/** Thrown for a config the models cannot build; the message names the key. */
export class ModelConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = "ModelConfigError";
  }
}

export function modelSpec(r: ResolvedConfig): ModelSpec {
  const v = r.values;
  const fail = (key: string, what: string): never => {
    const where = r.sources.get(key);
    const at = where ? ` (${formatSource(where)})` : r.given.has(key) ? "" : " (GPT-NeoX's default)";
    throw new ModelConfigError(key, `@neox/models: ${key} = ${JSON.stringify(v[key])}${at}: ${what}`);
  };
  const int = (key: string): number => {
    const x = v[key];
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 1) fail(key, "expected a whole number ≥ 1");
    return x as number;
  };
  const num = (key: string): number => {
    const x = v[key];
    if (typeof x !== "number" || !Number.isFinite(x)) fail(key, "expected a number");
    return x as number;
  };
  const oneOf = <T extends string>(key: string, choices: readonly T[], what: string): T => {
    const x = typeof v[key] === "string" ? (v[key] as string).toLowerCase() : v[key];
    if (!choices.includes(x as T)) fail(key, `${what} (the models build ${choices.join(", ")})`);
    return x as T;
  };

  // Features outside this package's decoder, refused before anything is sized.
  if (typeof v.moe_num_experts === "number" && v.moe_num_experts > 1)
    fail("moe_num_experts", "mixture-of-experts layers are not built by the models yet (use 1)");
  const layerTypes = r.derived.attention_config ?? [];
  const odd = layerTypes.find((t) => t !== "global" && t !== "flash");
  if (odd !== undefined)
    fail("attention_config", `layer type "${odd}" is not built by the models yet (global and flash are)`);
  if (v.use_qk_layernorm === true) fail("use_qk_layernorm", "QK-norm is not built by the models yet");
  if (v.use_mup === true) fail("use_mup", "μP is not built by the models yet");
  if (v.num_unique_layers != null && v.num_unique_layers !== v.num_layers)
    fail("num_unique_layers", "parameter sharing across layers is not built by the models");
  if (num("opt_pos_emb_offset") !== 0) fail("opt_pos_emb_offset", "OPT's position offset is not built yet");

  const L = int("num_layers");
  const C = int("hidden_size");
  const NH = int("num_attention_heads");
  if (C % NH !== 0) fail("num_attention_heads", `must divide hidden_size ${C}`);
  const HS = C / NH;
  const NKV = v.num_kv_heads == null ? NH : int("num_kv_heads");
  if (NH % NKV !== 0) fail("num_kv_heads", `must divide num_attention_heads ${NH}`);
  const V = r.derived.padded_vocab_size ?? (v.padded_vocab_size as number | null);
  if (typeof V !== "number" || V < 1)
    fail(
      "padded_vocab_size",
      "unknown: attach the tokenizer's vocabulary with withVocabSize(r, size) or set padded_vocab_size",
    );
  const maxPositions = int("max_position_embeddings");
  const seqLength = v.seq_length == null ? maxPositions : int("seq_length");

  const positions = oneOf<Positions>(
    "pos_emb",
    ["learned", "sinusoidal", "rotary", "alibi", "none"],
    "these positions are not built yet",
  );
  const rotDim = positions === "rotary" ? (r.derived.rotary_dim ?? 0) : 0;
  if (rotDim % 2 !== 0)
    fail("rotary_pct", `gives ${rotDim} rotary channels per head; rotary needs an even number`);

  const normKind = oneOf(
    "norm",
    ["layernorm", "non_parametric_layernorm", "rmsnorm"] as const,
    "this norm is not built yet",
  );
  // GPT-NeoX's RMSNorm with use_bias_in_norms (its default) owns an `offset` added after the scale.
  const norm: NormSpec =
    normKind === "layernorm"
      ? { kind: "layernorm", eps: num("layernorm_epsilon"), bias: v.use_bias_in_norms !== false }
      : normKind === "non_parametric_layernorm"
        ? { kind: "non_parametric_layernorm", eps: num("layernorm_epsilon") }
        : { kind: "rmsnorm", eps: num("rms_norm_epsilon"), bias: v.use_bias_in_norms !== false };

  const act = oneOf(
    "activation",
    ["gelu", "relu", "silu", "swish", "swiglu", "geglu", "reglu"] as const,
    "this activation has no kernel yet",
  );
  // GPT-NeoX: bias_gelu_fusion runs the tanh approximation; otherwise (and with onnx_safe) erf GELU.
  // `swish` and `silu` are the same function, x·σ(x) (megatron/model/activations.py).
  const activation: MlpActivation =
    act === "gelu" && v.bias_gelu_fusion === true && v.onnx_safe !== true
      ? "gelu_tanh"
      : act === "swish"
        ? "silu"
        : act;
  const gated = MLP_ACTIVATIONS[activation].gated;
  const linear1Out = r.derived.mlp_linear1_out_features;
  const linear2In = r.derived.mlp_linear2_in_features;
  if (linear1Out == null || linear2In == null)
    fail("intermediate_size", "the MLP widths could not be derived");
  if ((gated ? 2 * linear2In! : linear2In) !== linear1Out)
    fail(
      "intermediate_size",
      `gives linear1 ${linear1Out} outputs and linear2 ${linear2In} inputs, which ${act} cannot join (neox-spec §1.1; set mlp_multiple_of so that linear1 = ${gated ? "2·" : ""}linear2)`,
    );

  const window = v.sliding_window_width == null ? undefined : int("sliding_window_width");
  const init = oneOf("init_method", INIT_METHODS, "this init method is not built yet");
  const outInit = oneOf("output_layer_init_method", INIT_METHODS, "this init method is not built yet");
  const residual: Residual =
    v.gpt_j_residual === true ? (v.gpt_j_tied === true ? "parallel_tied" : "parallel") : "sequential";
  return {
    L,
    C,
    NH,
    NKV,
    HS,
    V: V as number,
    maxPositions,
    seqLength,
    residual,
    norm,
    activation,
    linear1Out: linear1Out!,
    linear2In: linear2In!,
    positions,
    rotDim,
    rotaryBase: num("rotary_emb_base"),
    window,
    attnBias: v.use_bias_in_attn_linear !== false,
    mlpBias: v.use_bias_in_mlp !== false,
    tiedOutput: v.no_weight_tying !== true,
    initMethod: init,
    outputInitMethod: outInit,
    initStd: num("init_method_std"),
    hiddenDropout: num("hidden_dropout"),
    attentionDropout: num("attention_dropout"),
    checkpointLayers: v.checkpoint_activations === true ? int("checkpoint_num_layers") : 0,
    seed: typeof v.seed === "number" ? v.seed : 1234,
  };
}
