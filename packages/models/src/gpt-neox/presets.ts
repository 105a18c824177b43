// GPT-NeoX-architecture presets: the Pythia suite, GPT-NeoX-20B and the GPT-3-style configs GPT-NeoX
// ships (configs/), each with its tokenizer's vocabulary. Load with loadPreset (../preset.ts).
import { GPT2_VOCAB, NEOX_20B_VOCAB, type Preset } from "../preset";

const pythia = (size: string, file: string): Preset => ({
  files: [`pythia/${file}.yml`],
  vocabSize: NEOX_20B_VOCAB,
  about: `Pythia-${size}: parallel residual, rotary on 25% of each head, tanh GELU, untied`,
});

export const GPT_NEOX_PRESETS = {
  "pythia-14m": pythia("14M", "14M"),
  "pythia-31m": pythia("31M", "31M"),
  "pythia-70m": pythia("70M", "70M"),
  "pythia-160m": pythia("160M", "160M"),
  "pythia-410m": pythia("410M", "410M"),
  "pythia-1b": pythia("1B", "1B"),
  "pythia-1.4b": pythia("1.4B", "1-4B"),
  "pythia-2.8b": pythia("2.8B", "2-8B"),
  "pythia-6.9b": pythia("6.9B", "6-9B"),
  "pythia-12b": pythia("12B", "12B"),
  "neox-20b": { files: ["20B.yml"], vocabSize: NEOX_20B_VOCAB, about: "GPT-NeoX-20B" },
  "gpt3-125m": {
    files: ["125M.yml"],
    vocabSize: GPT2_VOCAB,
    about: "GPT-3 Small shape, GPT-NeoX's 125M config",
  },
  "gpt3-350m": { files: ["350M.yml"], vocabSize: GPT2_VOCAB, about: "GPT-3 Medium shape" },
  "gpt3-760m": { files: ["760M.yml"], vocabSize: GPT2_VOCAB, about: "GPT-3 Large shape" },
  "gpt3-1.3b": { files: ["1-3B.yml"], vocabSize: GPT2_VOCAB, about: "GPT-3 XL shape" },
  "gpt3-2.7b": { files: ["2-7B.yml"], vocabSize: GPT2_VOCAB, about: "GPT-3 2.7B shape" },
  "gpt3-6.7b": { files: ["6-7B.yml"], vocabSize: GPT2_VOCAB, about: "GPT-3 6.7B shape" },
  "gpt3-13b": { files: ["13B.yml"], vocabSize: GPT2_VOCAB, about: "GPT-3 13B shape" },
  tiny: { files: ["tiny.yml"], vocabSize: GPT2_VOCAB, about: "2 layers, width 128: tests and tutorials" },
} as const satisfies Record<string, Preset>;

export type GptNeoXPresetName = keyof typeof GPT_NEOX_PRESETS;
