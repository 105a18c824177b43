// A tiny GPT-NeoX model built in memory from a config (2 layers, width 16, rotary, context 8,
// vocabulary 50 padded to 56) and a toy tokenizer, for tests that compare the engine's answers
// with the model's logits read one sequence at a time.
import { parseConfigText, resolveParsed } from "@neox/config";
import { GptNeoXModel } from "@neox/models";

export const L = 8; // seq_length
const CONFIG = `
num_layers: 2
hidden_size: 16
num_attention_heads: 4
seq_length: ${L}
max_position_embeddings: 16
make_vocab_size_divisible_by: 8
pos_emb: rotary
rotary_pct: 0.5
gpt_j_residual: true
no_weight_tying: true
init_method_std: 0.5
seed: 7
train_micro_batch_size_per_gpu: 2
`;

/** A seeded, untrained model (init std 0.5, so its distributions are far from uniform). */
export function tinyModel(): GptNeoXModel {
  const resolved = resolveParsed([parseConfigText(CONFIG, "tiny.yml")], { vocabSize: 50 });
  if (resolved.problems.length > 0) throw new Error(JSON.stringify(resolved.problems));
  const model = GptNeoXModel.fromConfig(resolved);
  model.dropout.training = false;
  return model;
}

/** A toy tokenizer: lowercase letters and space as ids 1..27, eod 0. */
export const tok = {
  eod: 0,
  encode: (s: string) => [...s].map((c) => (c === " " ? 27 : c.charCodeAt(0) - 96)),
  decode: (ids: readonly number[]) => ids.map((i) => (i === 27 ? " " : String.fromCharCode(i + 96))).join(""),
};
