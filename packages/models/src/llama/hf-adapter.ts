// Llama <-> Hugging Face LlamaForCausalLM (neox-spec §4.3, §4.4), as a table the shared engine in
// @neox/convert applies in either direction.
//
// Two places where GPT-NeoX's own converter goes wrong are explicit here: the fused QKV is split
// by the engine from whichever layout our model uses (per-head interleaved for MHA, blocked
// [Q | K | V] for GQA; GPT-NeoX always assumes blocked, neox-spec §4.6.1), and intermediate_size is
// the width our MLP actually has (linear2's input), not the config's pre-⅔ number (§4.6.3).
// HF Llama's q/k are in rotate-half order, as ours are: no rotary permutation.
import {
  COMMON_FIELDS,
  type HfAdapter,
  type HfConfigField,
  type HfTensorRule,
  hfBool,
  hfCount,
  hfNumber,
} from "../hf-table";
import type { ModelSpec } from "../spec";

/** Tensors inside layer i of Llama and Mistral. */
export const LLAMA_LAYER_TENSORS: readonly HfTensorRule[] = [
  {
    ours: "layers.{i}.input_layernorm.scale",
    hf: ["model.layers.{i}.input_layernorm.weight"],
    transform: "copy",
  },
  {
    ours: "layers.{i}.attention.query_key_value.weight",
    hf: [
      "model.layers.{i}.self_attn.q_proj.weight",
      "model.layers.{i}.self_attn.k_proj.weight",
      "model.layers.{i}.self_attn.v_proj.weight",
    ],
    transform: "qkv",
  },
  {
    ours: "layers.{i}.attention.query_key_value.bias",
    hf: [
      "model.layers.{i}.self_attn.q_proj.bias",
      "model.layers.{i}.self_attn.k_proj.bias",
      "model.layers.{i}.self_attn.v_proj.bias",
    ],
    transform: "qkv",
    when: (s) => s.attnBias,
  },
  {
    ours: "layers.{i}.attention.dense.weight",
    hf: ["model.layers.{i}.self_attn.o_proj.weight"],
    transform: "copy",
  },
  {
    ours: "layers.{i}.attention.dense.bias",
    hf: ["model.layers.{i}.self_attn.o_proj.bias"],
    transform: "copy",
    when: (s) => s.attnBias,
  },
  {
    ours: "layers.{i}.post_attention_layernorm.scale",
    hf: ["model.layers.{i}.post_attention_layernorm.weight"],
    transform: "copy",
  },
  {
    ours: "layers.{i}.mlp.linear1.weight",
    hf: ["model.layers.{i}.mlp.up_proj.weight", "model.layers.{i}.mlp.gate_proj.weight"],
    transform: "gated",
  },
  {
    ours: "layers.{i}.mlp.linear1.bias",
    hf: ["model.layers.{i}.mlp.up_proj.bias", "model.layers.{i}.mlp.gate_proj.bias"],
    transform: "gated",
    when: (s) => s.mlpBias,
  },
  { ours: "layers.{i}.mlp.linear2.weight", hf: ["model.layers.{i}.mlp.down_proj.weight"], transform: "copy" },
  {
    ours: "layers.{i}.mlp.linear2.bias",
    hf: ["model.layers.{i}.mlp.down_proj.bias"],
    transform: "copy",
    when: (s) => s.mlpBias,
  },
];

export const LLAMA_TENSORS: readonly HfTensorRule[] = [
  { ours: "word_embeddings.weight", hf: ["model.embed_tokens.weight"], transform: "copy" },
  { ours: "norm.scale", hf: ["model.norm.weight"], transform: "copy" },
  { ours: "final_linear.weight", hf: ["lm_head.weight"], transform: "copy", when: (s) => !s.tiedOutput },
];

/** Config fields Llama and Mistral share. */
export const LLAMA_FIELDS: readonly HfConfigField[] = [
  ...COMMON_FIELDS,
  {
    hf: "num_key_value_heads",
    toHf: (s) => s.NKV,
    fromHf: (x, hf) => {
      const kv = hfCount("num_key_value_heads", x);
      // MHA stays MHA: num_kv_heads unset keeps GPT-NeoX's interleaved QKV layout.
      return kv === hf.num_attention_heads ? {} : { num_kv_heads: kv };
    },
  },
  {
    hf: "intermediate_size",
    // The true width (linear2's input). Ours is written as 3 × that: GPT-NeoX takes ⅔ of
    // intermediate_size for gated activations (mlpWidths), so 3·I gives linear1 2·I and linear2 I.
    toHf: (s) => s.linear2In,
    fromHf: (x) => ({ intermediate_size: 3 * hfCount("intermediate_size", x), mlp_multiple_of: 1 }),
  },
  {
    hf: "hidden_act",
    toHf: () => "silu",
    fromHf: (x) => {
      if (x !== "silu" && x !== "swish")
        throw new Error(`config.json "hidden_act": "${x}" is not built for this class (silu is: SwiGLU)`);
      return { activation: "swiglu" };
    },
    hfDefault: "silu",
  },
  {
    hf: "rms_norm_eps",
    toHf: (s) => s.norm.eps,
    fromHf: (x) => ({ rms_norm_epsilon: hfNumber("rms_norm_eps", x) }),
    hfDefault: 1e-6,
  },
  {
    hf: "rope_theta",
    toHf: (s) => s.rotaryBase,
    fromHf: (x) => ({ rotary_emb_base: hfNumber("rope_theta", x) }),
    hfDefault: 10000,
  },
  {
    hf: "rope_scaling",
    toHf: () => null,
    fromHf: (x) => {
      if (x !== null)
        throw new Error(`config.json "rope_scaling": ${JSON.stringify(x)} is not built (only null is)`);
      return {};
    },
    hfDefault: null,
  },
  {
    // Read only: Llama rotates whole heads (newer transformers save 1.0 here).
    hf: "partial_rotary_factor",
    toHf: () => undefined,
    fromHf: (x) => {
      if (x !== null && x !== 1)
        throw new Error(`config.json "partial_rotary_factor": ${x} is not built for this class (1 is)`);
      return {};
    },
    hfDefault: null,
  },
  {
    hf: "head_dim",
    toHf: (s) => s.HS,
    fromHf: (x, hf) => {
      if (x === null) return {};
      const heads = hfCount("num_attention_heads", hf.num_attention_heads);
      const expect = hfCount("hidden_size", hf.hidden_size) / heads;
      if (hfCount("head_dim", x) !== expect)
        throw new Error(
          `config.json "head_dim": ${x}, but hidden_size / num_attention_heads is ${expect} (not built)`,
        );
      return {};
    },
    hfDefault: null,
  },
  {
    hf: "attention_dropout",
    toHf: (s) => s.attentionDropout,
    fromHf: (x) => ({ attention_dropout: hfNumber("attention_dropout", x) }),
    hfDefault: 0,
  },
];

/** Features of our model that the Llama family cannot express (Mistral adds its own). */
export function llamaUnsupported(s: ModelSpec, hfClass: string): string[] {
  const out: string[] = [];
  if (s.positions !== "rotary" || s.rotDim !== s.HS)
    out.push(
      `pos_emb/rotary_pct: ${hfClass} has rotary positions on whole heads (this model: ${s.positions}, ${s.rotDim} of ${s.HS} channels)`,
    );
  if (s.norm.kind !== "rmsnorm" || s.norm.bias)
    out.push(
      `norm: ${hfClass} has RMSNorm without bias, this model has ${s.norm.kind}${"bias" in s.norm && s.norm.bias ? " with bias" : ""}`,
    );
  if (s.activation !== "swiglu")
    out.push(`activation: ${hfClass} has SwiGLU (silu), this model "${s.activation}"`);
  if (s.residual !== "sequential") out.push(`gpt_j_residual: ${hfClass} has a sequential residual`);
  return out;
}

export const LLAMA_HF_ADAPTER: HfAdapter = {
  name: "llama",
  hfClass: "LlamaForCausalLM",
  modelType: "llama",
  layerTensors: LLAMA_LAYER_TENSORS,
  tensors: LLAMA_TENSORS,
  fields: [
    ...LLAMA_FIELDS,
    {
      hf: "attention_bias",
      toHf: (s) => s.attnBias,
      fromHf: (x) => ({ use_bias_in_attn_linear: hfBool("attention_bias", x) }),
      hfDefault: false,
    },
    {
      hf: "mlp_bias",
      toHf: (s) => s.mlpBias,
      fromHf: (x) => ({ use_bias_in_mlp: hfBool("mlp_bias", x) }),
      hfDefault: false,
    },
    {
      hf: "pretraining_tp",
      toHf: () => 1,
      fromHf: (x) => {
        if (x !== 1) throw new Error(`config.json "pretraining_tp": ${x} is not built (1 is)`);
        return {};
      },
      hfDefault: 1,
    },
  ],
  unsupported: (s) => {
    const out = llamaUnsupported(s, "LlamaForCausalLM");
    if (s.window !== undefined)
      out.push("sliding_window_width: LlamaForCausalLM has no sliding window; export it as mistral");
    return out;
  },
  fixedKeys: {
    pos_emb: "rotary",
    rotary_pct: 1,
    norm: "rmsnorm",
    use_bias_in_norms: false,
    gpt_j_residual: false,
    use_bias_in_attn_linear: false,
    use_bias_in_mlp: false,
  },
};
