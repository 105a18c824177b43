// NeoXArgsModel (GPT-NeoX megatron/neox_arguments/neox_args.py): architecture, fused-kernel
// switches, Transformer Engine, Mamba, RWKV. 77 fields; the list stays in one file so the class
// reads as GPT-NeoX declares it.
import {
  type ArgDecl,
  type ArgType,
  arg as declare,
  noEffect,
  type Support,
  t,
  unsupported,
} from "../schema/types";
import { featuresByValue, isEnabledDict, isNonEmptyDict, isOneOf, isTrue } from "./support";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("model", name, type, def, doc, support);

const INIT_METHODS = [
  "normal",
  "scaled_normal",
  "orthogonal",
  "scaled_orthogonal",
  "xavier_uniform",
  "xavier_normal",
  "wang_init",
  "small_init",
  "single_residual_scaled_normal",
];

// Layer types of attention_config this backend builds; GPT-NeoX's ATTENTION_TYPE_CHOICES also
// lists block-sparse (DeepSpeed Triton), gMLP/aMLP, RWKV and Mamba layers.
const LAYER_TYPE_FEATURES: Readonly<Record<string, string>> = {
  local: "block-sparse local attention (DeepSpeed sparse attention)",
  sparse_fixed: "block-sparse attention (DeepSpeed sparse attention)",
  sparse_variable: "block-sparse attention (DeepSpeed sparse attention)",
  bigbird: "BigBird block-sparse attention (DeepSpeed sparse attention)",
  bslongformer: "Longformer block-sparse attention (DeepSpeed sparse attention)",
  gmlp: "gMLP",
  amlp: "aMLP",
  rwkv: "RWKV",
  mamba: "Mamba",
};

/** First unsupported layer type named anywhere in an attention_config value. */
function unsupportedLayerType(value: unknown): { describe: string; feature: string } | undefined {
  const names: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") names.push(v.toLowerCase());
    else if (Array.isArray(v)) v.forEach(walk);
  };
  walk(value);
  const hit = names.find((n) => n in LAYER_TYPE_FEATURES);
  return hit === undefined
    ? undefined
    : { describe: `attention_config layer type "${hit}"`, feature: LAYER_TYPE_FEATURES[hit]! };
}

const NORM_FEATURES: Readonly<Record<string, string>> = {
  scalenorm: "ScaleNorm",
  te_rmsnorm: "Transformer Engine RMSNorm",
  te_layernorm: "Transformer Engine LayerNorm",
};

const FUSED = "a CUDA fused-kernel switch: this backend's kernels compute the same result either way";
const MAMBA = "Mamba";
const RWKV = "RWKV";
const TE = "Transformer Engine";

export const MODEL_ARGS: readonly ArgDecl[] = [
  arg(
    "precision",
    t.literal("fp16", "fp32", "bfloat16"),
    null,
    "Training precision; derived from the fp16/bf16 dicts when not set.",
  ),
  arg("num_layers", t.int, null, "Number of transformer layers (required)."),
  arg("hidden_size", t.int, null, "Model width (required)."),
  arg(
    "intermediate_size",
    t.int,
    null,
    "MLP width before GPT-NeoX's rounding; gated activations get 2/3 of it for linear1 (both halves); default 4h.",
  ),
  arg("mlp_multiple_of", t.int, 1, "Round the MLP widths up to a multiple of this value."),
  arg(
    "expansion_factor",
    t.float,
    null,
    "MLP width as a multiple of hidden_size (exclusive with intermediate_size).",
  ),
  arg("num_attention_heads", t.int, null, "Attention (query) heads (required)."),
  arg("num_kv_heads", t.int, null, "Key/value heads; fewer than num_attention_heads gives GQA, 1 gives MQA."),
  arg("seq_length", t.int, null, "Training sequence length."),
  arg(
    "sliding_window_width",
    t.int,
    null,
    "Attend only to this many previous tokens (Mistral-style sliding window).",
  ),
  arg(
    "max_position_embeddings",
    t.int,
    null,
    "Size of the position table; must be >= seq_length (required).",
  ),
  arg(
    "norm",
    t.literal("layernorm", "rmsnorm", "non_parametric_layernorm", "scalenorm", "te_rmsnorm", "te_layernorm"),
    "layernorm",
    "Normalisation layer.",
    unsupported("ScaleNorm / Transformer Engine norms", { explain: featuresByValue("norm", NORM_FEATURES) }),
  ),
  arg("layernorm_fusion", t.bool, false, "Use the fused LayerNorm kernel.", noEffect(FUSED)),
  arg("rmsnorm_fusion", t.bool, false, "Use the fused RMSNorm kernel.", noEffect(FUSED)),
  arg(
    "use_qk_layernorm",
    t.bool,
    false,
    "Normalise queries and keys (over heads x head_dim) before attention.",
  ),
  arg("layernorm_epsilon", t.float, 1.0e-5, "LayerNorm epsilon."),
  arg("rms_norm_epsilon", t.float, 1.0e-8, "RMSNorm epsilon (added inside the square root)."),
  arg("scalenorm_epsilon", t.float, 1.0e-8, "ScaleNorm epsilon.", unsupported("ScaleNorm")),
  arg(
    "pos_emb",
    t.literal("learned", "rotary", "sinusoidal", "rpe", "alibi", "none"),
    "learned",
    "Position encoding.",
    unsupported("T5 relative position bias", {
      explain: featuresByValue("pos_emb", { rpe: "T5 relative position bias" }),
    }),
  ),
  arg(
    "rpe_num_buckets",
    t.int,
    32,
    "T5 relative position bias: number of buckets.",
    unsupported("T5 relative position bias"),
  ),
  arg(
    "rpe_max_distance",
    t.int,
    128,
    "T5 relative position bias: maximum distance.",
    unsupported("T5 relative position bias"),
  ),
  arg("opt_pos_emb_offset", t.int, 0, "Offset into the learned position table (OPT uses 2)."),
  arg(
    "no_weight_tying",
    t.bool,
    false,
    "Untie the output layer from the input embedding (alias: tie_embeddings, inverted).",
  ),
  arg(
    "attention_config",
    t.list(t.any),
    null,
    'Layer types and repeat counts, e.g. [[["global"], 12]]; default all "global" ("flash" is the same attention).',
    unsupported("block-sparse attention, gMLP/aMLP, RWKV and Mamba", { explain: unsupportedLayerType }),
  ),
  arg(
    "sparsity_config",
    t.dict,
    null,
    "DeepSpeed block-sparse attention layout for the sparse layer types.",
    unsupported("block-sparse attention (DeepSpeed sparse attention)", {
      when: isNonEmptyDict,
      describe: "sparsity_config",
    }),
  ),
  arg(
    "num_unique_layers",
    t.int,
    null,
    "Share parameters among layers: this many distinct layers repeated to num_layers.",
    unsupported("parameter sharing across layers"),
  ),
  arg(
    "param_sharing_style",
    t.str,
    "grouped",
    'Order of shared layers: "grouped" [1,2,1,2] or "spaced" [1,1,2,2].',
    unsupported("parameter sharing across layers"),
  ),
  arg(
    "make_vocab_size_divisible_by",
    t.int,
    128,
    "Pad the vocabulary to a multiple of this times model_parallel_size.",
  ),
  arg(
    "activation",
    t.literal(
      "gelu",
      "geglu",
      "relu",
      "softsign",
      "swish",
      "mish",
      "silu",
      "reglu",
      "swiglu",
      "bilinear",
      "glu",
    ),
    "gelu",
    "MLP activation; geglu, reglu, swiglu, bilinear and glu are gated (linear1 holds both halves).",
  ),
  arg("use_flashattn_swiglu", t.bool, false, "Use flash-attention's fused SwiGLU kernel.", noEffect(FUSED)),
  arg(
    "scaled_upper_triang_masked_softmax_fusion",
    t.bool,
    false,
    "Fuse scaling, causal masking and softmax in one CUDA kernel.",
    noEffect(`${FUSED} (attention softmax always runs in fp32 here, as the fused kernel does)`),
  ),
  arg(
    "scaled_masked_softmax_fusion",
    t.bool,
    false,
    "Fuse scaling, general masking and softmax in one CUDA kernel.",
    noEffect(`${FUSED} (attention softmax always runs in fp32 here, as the fused kernel does)`),
  ),
  arg(
    "bias_gelu_fusion",
    t.bool,
    false,
    "Fused bias+GELU; selects the tanh approximation of GELU instead of the erf form.",
  ),
  arg("bias_dropout_fusion", t.bool, false, "Fuse bias add, dropout and residual add.", noEffect(FUSED)),
  arg("rope_fusion", t.bool, false, "Use the fused rotary-embedding kernel.", noEffect(FUSED)),
  arg(
    "fused_kernels_build_path",
    t.opt(t.str),
    null,
    "Build directory for GPT-NeoX's JIT-compiled CUDA kernels.",
    noEffect("GPT-NeoX's JIT kernel build directory; native kernels here are built by @neox/kernels"),
  ),
  arg(
    "fp16_lm_cross_entropy",
    t.bool,
    false,
    "Compute the LM cross-entropy in fp16 instead of fp32.",
    unsupported("cross-entropy in fp16 (the loss is computed in fp32 here)", {
      when: isTrue,
      describe: "fp16_lm_cross_entropy: true",
    }),
  ),
  arg("init_method_std", t.float, 0.02, "Standard deviation of the normal initialisations."),
  arg(
    "apply_query_key_layer_scaling",
    t.bool,
    false,
    "Divide QK^T by layer_number and multiply back inside the fp32 softmax (fp16 overflow guard; exact math unchanged).",
  ),
  arg(
    "use_cpu_initialization",
    t.bool,
    false,
    "Initialise parallel weights on the CPU.",
    noEffect("initial weights depend on the seed and init_method only, never on the device they are made on"),
  ),
  arg(
    "attention_softmax_in_fp32",
    t.bool,
    false,
    "Softmax in fp32 for half-precision runs; this backend always does (as GPT-NeoX's fused kernels do).",
  ),
  arg("rotary_pct", t.float, 1.0, "Fraction of each head's dimensions that rotary embedding rotates."),
  arg("rotary_emb_base", t.int, 10000, "Rotary embedding base (theta)."),
  arg(
    "rotary_save_freqs_buffer",
    t.bool,
    false,
    "Store the rotary inv_freq buffer in checkpoints.",
    noEffect("inv_freq is recomputed from rotary_emb_base; checkpoints here never store it"),
  ),
  arg(
    "init_method",
    t.literal(...INIT_METHODS),
    "normal",
    "Initialisation of embeddings, QKV, linear1 and the output layer.",
    unsupported("orthogonal initialisation", { when: isOneOf("orthogonal", "scaled_orthogonal") }),
  ),
  arg(
    "output_layer_init_method",
    t.literal(...INIT_METHODS),
    "scaled_normal",
    "Initialisation of the residual-branch outputs (attention dense, linear2).",
    unsupported("orthogonal initialisation", { when: isOneOf("orthogonal", "scaled_orthogonal") }),
  ),
  arg(
    "gmlp_attn_dim",
    t.int,
    64,
    "Width of the single attention head inside gMLP blocks.",
    unsupported("gMLP"),
  ),
  arg(
    "gpt_j_residual",
    t.bool,
    false,
    "Parallel residual x + attn(ln1(x)) + mlp(ln2(x)) (GPT-J, NeoX-20B, Pythia; alias: parallel_residual).",
  ),
  arg("gpt_j_tied", t.bool, false, "With gpt_j_residual, use one norm for both branches."),
  arg("use_bias_in_norms", t.bool, true, "Norms have a bias (LayerNorm beta, RMSNorm offset)."),
  arg("use_bias_in_attn_linear", t.bool, true, "QKV and attention output linears have biases."),
  arg("use_bias_in_mlp", t.bool, true, "MLP linears have biases."),
  arg(
    "soft_prompt_tuning",
    t.dict,
    null,
    "Train only a soft prompt of n_tokens embeddings ({enabled, n_tokens, init_string, init_range}).",
    unsupported("soft prompt tuning", { when: isEnabledDict, describe: "soft_prompt_tuning.enabled: true" }),
  ),
  arg(
    "mamba_selective_scan_fusion",
    t.bool,
    false,
    "Mamba: fused selective-scan kernel.",
    noEffect("a Mamba kernel switch; Mamba itself is reported as unsupported"),
  ),
  arg(
    "mamba_causal_conv_fusion",
    t.bool,
    false,
    "Mamba: fused causal conv1d kernel.",
    noEffect("a Mamba kernel switch; Mamba itself is reported as unsupported"),
  ),
  arg(
    "mamba_inner_func_fusion",
    t.bool,
    false,
    "Mamba: fused inner function (supersedes the two switches above).",
    noEffect("a Mamba kernel switch; Mamba itself is reported as unsupported"),
  ),
  arg("mamba_selective_fp32_params", t.bool, true, "Mamba: keep A and D in fp32.", unsupported(MAMBA)),
  arg("mamba_use_bias_in_conv", t.bool, true, "Mamba: conv1d has a bias.", unsupported(MAMBA)),
  arg(
    "mamba_use_bias_in_linears",
    t.bool,
    false,
    "Mamba: in_proj and out_proj have biases.",
    unsupported(MAMBA),
  ),
  arg(
    "output_layer_parallelism",
    t.literal("column"),
    "column",
    "Split the output layer over the vocabulary (column); row is broken in GPT-NeoX.",
  ),
  arg(
    "serve_model_weights",
    t.bool,
    false,
    "Serve weight pointers over a socket (online RL).",
    unsupported("the model weight server"),
  ),
  arg(
    "weight_server_port",
    t.union(t.int, t.list(t.int)),
    6000,
    "Weight server port (plus global rank), or one port per rank.",
    unsupported("the model weight server"),
  ),
  arg(
    "online_dataserver_ips",
    t.union(t.str, t.list(t.str)),
    "localhost",
    "Online data server address(es).",
    unsupported("the online data server"),
  ),
  arg(
    "online_dataserver_ports",
    t.union(t.int, t.list(t.int)),
    10000,
    "Online data server port(s).",
    unsupported("the online data server"),
  ),
  arg("te_columnparallel", t.bool, false, "Transformer Engine column-parallel linear.", unsupported(TE)),
  arg("te_rowparallel", t.bool, false, "Transformer Engine row-parallel linear.", unsupported(TE)),
  arg("te_layernorm_mlp", t.bool, false, "Transformer Engine LayerNormMLP.", unsupported(TE)),
  arg("te_mha", t.bool, false, "Transformer Engine multi-head attention.", unsupported(TE)),
  arg(
    "te_fp8_format",
    t.literal("e4m3", "hybrid"),
    "hybrid",
    "Transformer Engine FP8 format (hybrid: E4M3 forward, E5M2 backward).",
    unsupported(`${TE} FP8`),
  ),
  arg("te_fp8_wgrad", t.bool, true, "Transformer Engine: weight gradients in FP8.", unsupported(`${TE} FP8`)),
  arg(
    "te_fp8_amax_history_len",
    t.int,
    1,
    "Transformer Engine: amax history window.",
    unsupported(`${TE} FP8`),
  ),
  arg(
    "te_fp8_amax_compute_algo",
    t.str,
    "most_recent",
    'Transformer Engine: amax choice, "max" or "most_recent".',
    unsupported(`${TE} FP8`),
  ),
  arg("te_fp8_margin", t.int, 0, "Transformer Engine: FP8 scaling-factor margin.", unsupported(`${TE} FP8`)),
  arg("te_fp8_mha", t.bool, false, "Transformer Engine: FP8 multi-head attention.", unsupported(`${TE} FP8`)),
  arg("dim_att", t.int, null, "RWKV: attention width (default hidden_size).", unsupported(RWKV)),
  arg("head_size", t.int, null, "RWKV: head size.", unsupported(RWKV)),
  arg("ffn_dim", t.int, null, "RWKV: feed-forward width.", unsupported(RWKV)),
];
