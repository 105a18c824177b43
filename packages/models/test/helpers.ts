// Tiny configs resolved in memory through @neox/config, as a user's YAML would be: a base file and
// an override file merged left to right, with the tokenizer's vocabulary attached.
import { formatProblem, parseConfigText, type ResolvedConfig, resolveParsed } from "@neox/config";
import { Tensor } from "@neox/tensor";

/** 2 layers, width 16, 4 heads of 4, GPT-NeoX's defaults otherwise; vocabulary 50 padded to 56. */
export const TINY_BASE = `
num_layers: 2
hidden_size: 16
num_attention_heads: 4
seq_length: 8
max_position_embeddings: 16
make_vocab_size_divisible_by: 8
hidden_dropout: 0.0
attention_dropout: 0.0
train_micro_batch_size_per_gpu: 2
`;

/** Pythia's shape: rotary on a quarter of each head, parallel residual, untied output. */
export const TINY_NEOX = `
pos_emb: rotary
rotary_pct: 0.5
gpt_j_residual: true
no_weight_tying: true
init_method: small_init
output_layer_init_method: wang_init
`;

/** GPT-3 style: learned positions, sequential residual, tied output, tanh GELU. */
export const TINY_GPT3 = `
pos_emb: learned
gpt_j_residual: false
no_weight_tying: false
bias_gelu_fusion: true
`;

/** Llama's shape with GQA (2 kv heads), and Mistral's sliding window on top. */
export const TINY_LLAMA = `
pos_emb: rotary
norm: rmsnorm
rms_norm_epsilon: 1.0e-5
activation: swiglu
intermediate_size: 64
mlp_multiple_of: 8
num_kv_heads: 2
use_bias_in_norms: false
use_bias_in_attn_linear: false
use_bias_in_mlp: false
no_weight_tying: true
`;

export function tinyConfig(
  extra: string,
  opts: { vocab?: number; allowProblems?: boolean } = {},
): ResolvedConfig {
  const r = resolveParsed(
    [parseConfigText(TINY_BASE, "tiny-base.yml"), parseConfigText(extra, "tiny-variant.yml")],
    {
      vocabSize: opts.vocab ?? 50,
    },
  );
  if (!opts.allowProblems && r.problems.length > 0)
    throw new Error(`tiny config: ${r.problems.map(formatProblem).join("; ")}`);
  return r;
}

/** Deterministic token ids in [0, vocab) as a (B, T) i32 tensor. */
export function tokens(B: number, T: number, vocab: number, salt = 0): Tensor {
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = (i * 7 + salt * 13 + ((i * i) % 5)) % vocab;
  return Tensor.fromArray(ids, [B, T], { dtype: "i32" });
}
