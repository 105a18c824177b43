// Mistral <-> Hugging Face MistralForCausalLM: Llama's table (../llama/hf-adapter.ts) plus the
// sliding window, and without Llama's bias switches (MistralForCausalLM has no biases at all).
//
// The window is off by one between the two: GPT-NeoX's sliding_window_width w lets position p see
// keys p - w .. p (w + 1 keys), transformers' sliding_window W lets it see W keys. So HF's value is
// w + 1; GPT-NeoX's own converter copies the number and shifts every windowed logit.
import { type HfAdapter, hfCount } from "../hf-table";
import { LLAMA_FIELDS, LLAMA_LAYER_TENSORS, LLAMA_TENSORS, llamaUnsupported } from "../llama/hf-adapter";

export const MISTRAL_HF_ADAPTER: HfAdapter = {
  name: "mistral",
  hfClass: "MistralForCausalLM",
  modelType: "mistral",
  layerTensors: LLAMA_LAYER_TENSORS,
  tensors: LLAMA_TENSORS,
  fields: [
    ...LLAMA_FIELDS,
    {
      hf: "sliding_window",
      toHf: (s) => (s.window === undefined ? null : s.window + 1),
      fromHf: (x) => {
        if (x === null) return {};
        const w = hfCount("sliding_window", x);
        if (w < 2) throw new Error(`config.json "sliding_window": ${w} (a window of one key is not built)`);
        return { sliding_window_width: w - 1 };
      },
      hfDefault: 4096,
    },
  ],
  unsupported: (s) => {
    const out = llamaUnsupported(s, "MistralForCausalLM");
    if (s.attnBias || s.mlpBias)
      out.push("use_bias_in_attn_linear/use_bias_in_mlp: MistralForCausalLM has no biases");
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
