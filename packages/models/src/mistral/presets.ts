// Mistral presets: configs/mistral (paired with llama/train_config.yml), SentencePiece 32,000.
import { LLAMA_VOCAB, type Preset } from "../preset";

export const MISTRAL_PRESETS = {
  "mistral-7b": {
    files: ["mistral/7B.yml", "llama/train_config.yml"],
    vocabSize: LLAMA_VOCAB,
    about: "Mistral 7B: GQA (8 kv heads), 4096-token sliding window",
  },
  tiny: { files: ["tiny-mistral.yml"], vocabSize: 50257, about: "2 layers, width 128, window 64: tests" },
} as const satisfies Record<string, Preset>;
