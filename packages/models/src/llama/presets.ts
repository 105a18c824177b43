// Llama presets: the architecture configs under configs/llama and configs/llama2 (paired with
// llama/train_config.yml for the training settings), SentencePiece vocabulary 32,000 unpadded.
import { LLAMA_VOCAB, type Preset } from "../preset";

const llama = (file: string, about: string): Preset => ({
  files: [file, "llama/train_config.yml"],
  vocabSize: LLAMA_VOCAB,
  about,
});

export const LLAMA_PRESETS = {
  "llama-7b": llama("llama/7B.yml", "Llama 7B"),
  "llama-13b": llama("llama/13B.yml", "Llama 13B"),
  "llama-30b": llama("llama/30B.yml", "Llama 30B"),
  "llama-65b": llama("llama/65B.yml", "Llama 65B"),
  "llama2-7b": llama("llama2/7B.yml", "Llama 2 7B"),
  "llama2-13b": llama("llama2/13B.yml", "Llama 2 13B"),
  "llama2-70b": llama("llama2/70B.yml", "Llama 2 70B (GQA, 8 kv heads)"),
  tiny: { files: ["tiny-llama.yml"], vocabSize: 50257, about: "2 layers, width 128: tests" },
} as const satisfies Record<string, Preset>;
