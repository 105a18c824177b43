// GPT-NeoX/Pythia <-> Hugging Face GPTNeoXForCausalLM (neox-spec §4.3, §4.4), as a table the shared
// engine in @neox/convert applies in either direction (the table's shape: ../hf-table.ts).
//
// The query_key_value layout needs no transform here: HF's GPTNeoX views the fused QKV as
// [heads, 3·head_size], GPT-NeoX's per-head interleaved [q_h | k_h | v_h] layout. HF has no GQA
// for this class, so num_kv_heads < heads is refused rather than written in a layout HF would
// misread.
import { COMMON_FIELDS, type HfAdapter, hfBool, hfCount, hfNumber } from "../hf-table";
import type { ModelSpec } from "../spec";

/**
 * A field saved under two names: `x` (absent: null) must equal `other` where that is present too.
 * Returns `keys` for a present `x`, nothing for an absent one.
 */
function agree(
  field: string,
  x: unknown,
  other: string,
  hf: Readonly<Record<string, unknown>>,
  keys: Record<string, unknown>,
): Record<string, unknown> {
  if (x === null) return {};
  hfNumber(field, x);
  if (hf[other] !== undefined && hf[other] !== x)
    throw new Error(`config.json "${field}": ${x} disagrees with "${other}": ${JSON.stringify(hf[other])}`);
  return keys;
}

/** HF activation names for our non-gated MLP activations, and back. */
const NEOX_ACT: Partial<Record<ModelSpec["activation"], string>> = {
  gelu: "gelu", // exact (erf) GELU: GPT-NeoX without bias_gelu_fusion
  gelu_tanh: "gelu_new", // tanh approximation: GPT-NeoX's bias_gelu_fusion
  relu: "relu",
  silu: "silu",
};
const NEOX_ACT_BACK: Record<string, Record<string, unknown>> = {
  gelu: { activation: "gelu", bias_gelu_fusion: false },
  gelu_new: { activation: "gelu", bias_gelu_fusion: true },
  gelu_pytorch_tanh: { activation: "gelu", bias_gelu_fusion: true },
  relu: { activation: "relu" },
  silu: { activation: "silu" },
  swish: { activation: "silu" },
};

export const NEOX_HF_ADAPTER: HfAdapter = {
  name: "neox",
  hfClass: "GPTNeoXForCausalLM",
  modelType: "gpt_neox",
  layerTensors: [
    {
      ours: "layers.{i}.input_layernorm.weight",
      hf: ["gpt_neox.layers.{i}.input_layernorm.weight"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.input_layernorm.bias",
      hf: ["gpt_neox.layers.{i}.input_layernorm.bias"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.attention.query_key_value.weight",
      hf: ["gpt_neox.layers.{i}.attention.query_key_value.weight"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.attention.query_key_value.bias",
      hf: ["gpt_neox.layers.{i}.attention.query_key_value.bias"],
      transform: "copy",
      when: (s) => s.attnBias,
    },
    {
      ours: "layers.{i}.attention.dense.weight",
      hf: ["gpt_neox.layers.{i}.attention.dense.weight"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.attention.dense.bias",
      hf: ["gpt_neox.layers.{i}.attention.dense.bias"],
      transform: "copy",
      when: (s) => s.attnBias,
    },
    {
      ours: "layers.{i}.post_attention_layernorm.weight",
      hf: ["gpt_neox.layers.{i}.post_attention_layernorm.weight"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.post_attention_layernorm.bias",
      hf: ["gpt_neox.layers.{i}.post_attention_layernorm.bias"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.mlp.linear1.weight",
      hf: ["gpt_neox.layers.{i}.mlp.dense_h_to_4h.weight"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.mlp.linear1.bias",
      hf: ["gpt_neox.layers.{i}.mlp.dense_h_to_4h.bias"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.mlp.linear2.weight",
      hf: ["gpt_neox.layers.{i}.mlp.dense_4h_to_h.weight"],
      transform: "copy",
    },
    {
      ours: "layers.{i}.mlp.linear2.bias",
      hf: ["gpt_neox.layers.{i}.mlp.dense_4h_to_h.bias"],
      transform: "copy",
    },
  ],
  tensors: [
    { ours: "word_embeddings.weight", hf: ["gpt_neox.embed_in.weight"], transform: "copy" },
    { ours: "norm.weight", hf: ["gpt_neox.final_layer_norm.weight"], transform: "copy" },
    { ours: "norm.bias", hf: ["gpt_neox.final_layer_norm.bias"], transform: "copy" },
    { ours: "final_linear.weight", hf: ["embed_out.weight"], transform: "copy", when: (s) => !s.tiedOutput },
  ],
  fields: [
    ...COMMON_FIELDS,
    {
      hf: "intermediate_size",
      toHf: (s) => s.linear1Out,
      fromHf: (x) => ({ intermediate_size: hfCount("intermediate_size", x), mlp_multiple_of: 1 }),
    },
    {
      hf: "hidden_act",
      toHf: (s) => NEOX_ACT[s.activation],
      fromHf: (x) => {
        const ours = NEOX_ACT_BACK[String(x)];
        if (!ours)
          throw new Error(
            `config.json "hidden_act": "${x}" is not built (${Object.keys(NEOX_ACT_BACK).join(", ")} are)`,
          );
        return ours;
      },
      hfDefault: "gelu",
    },
    {
      hf: "rotary_pct",
      // Our config's own value: HF and GPT-NeoX both take int(head_size · rotary_pct) channels.
      toHf: (_s, v) => v.rotary_pct,
      fromHf: (x) => ({ rotary_pct: hfNumber("rotary_pct", x) }),
      hfDefault: 0.25,
    },
    {
      hf: "rotary_emb_base",
      toHf: (s) => s.rotaryBase,
      fromHf: (x) => ({ rotary_emb_base: hfNumber("rotary_emb_base", x) }),
      hfDefault: 10000,
    },
    // Newer transformers also save the rotary settings under Llama's names; both are written, and
    // on import they must agree with the GPTNeoX names.
    {
      hf: "partial_rotary_factor",
      toHf: (_s, v) => v.rotary_pct,
      fromHf: (x, hf) => agree("partial_rotary_factor", x, "rotary_pct", hf, { rotary_pct: x }),
      hfDefault: null,
    },
    {
      hf: "rope_theta",
      toHf: (s) => s.rotaryBase,
      fromHf: (x, hf) => agree("rope_theta", x, "rotary_emb_base", hf, { rotary_emb_base: x }),
      hfDefault: null,
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
      hf: "use_parallel_residual",
      toHf: (s) => s.residual === "parallel",
      fromHf: (x) => ({ gpt_j_residual: hfBool("use_parallel_residual", x) }),
      hfDefault: true,
    },
    {
      hf: "layer_norm_eps",
      toHf: (s) => s.norm.eps,
      fromHf: (x) => ({ layernorm_epsilon: hfNumber("layer_norm_eps", x) }),
      hfDefault: 1e-5,
    },
    {
      hf: "attention_bias",
      toHf: (s) => s.attnBias,
      fromHf: (x) => ({ use_bias_in_attn_linear: hfBool("attention_bias", x) }),
      hfDefault: true,
    },
    {
      hf: "hidden_dropout",
      toHf: (s) => s.hiddenDropout,
      fromHf: (x) => ({ hidden_dropout: hfNumber("hidden_dropout", x) }),
      hfDefault: 0,
    },
    {
      hf: "attention_dropout",
      toHf: (s) => s.attentionDropout,
      fromHf: (x) => ({ attention_dropout: hfNumber("attention_dropout", x) }),
      hfDefault: 0,
    },
  ],
  unsupported: (s) => {
    const out: string[] = [];
    if (s.positions !== "rotary")
      out.push(`pos_emb: GPTNeoXForCausalLM has rotary positions only, this model has "${s.positions}"`);
    if (s.NKV !== s.NH)
      out.push(
        `num_kv_heads: GPTNeoXForCausalLM has no grouped-query attention (${s.NKV} kv heads, ${s.NH} heads)`,
      );
    if (s.residual === "parallel_tied")
      out.push("gpt_j_tied: GPTNeoXForCausalLM's parallel residual has two norms, this model one");
    if (s.norm.kind !== "layernorm" || !s.norm.bias)
      out.push(
        `norm: GPTNeoXForCausalLM has LayerNorm with a bias, this model has ${s.norm.kind}${s.norm.kind === "layernorm" ? " without bias" : ""}`,
      );
    if (!s.mlpBias) out.push("use_bias_in_mlp: GPTNeoXForCausalLM's MLP always has biases");
    if (NEOX_ACT[s.activation] === undefined)
      out.push(`activation: GPTNeoXForCausalLM has no gated MLP ("${s.activation}"); export it as llama`);
    if (s.window !== undefined)
      out.push("sliding_window_width: GPTNeoXForCausalLM has no sliding window; export it as mistral");
    return out;
  },
  fixedKeys: { pos_emb: "rotary", norm: "layernorm", use_bias_in_norms: true, use_bias_in_mlp: true },
};
