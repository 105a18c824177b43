// A preset is a shipped config (files under the repository's configs/, merged left to right) plus
// the vocabulary size of the tokenizer it was trained with, so that padded_vocab_size is known
// without loading the tokenizer. Each architecture folder lists its presets (presets.ts); the
// configs stay the single source of every value.
import { join } from "node:path";
import { loadConfig, type ResolvedConfig, type ResolveOptions, withVocabSize } from "@neox/config";

export interface Preset {
  /** Config files relative to the configs/ directory. */
  files: readonly string[];
  /** The tokenizer's vocabulary size before padding. */
  vocabSize: number;
  about: string;
}

/** GPT-NeoX-20B's tokenizer (Pythia, NeoX-20B), GPT-2's, Llama/Mistral's SentencePiece. */
export const NEOX_20B_VOCAB = 50277;
export const GPT2_VOCAB = 50257;
export const LLAMA_VOCAB = 32000;

/**
 * Resolves a preset's files from `configsDir` (plus `extra` files after them, e.g. local_setup.yml)
 * and attaches its vocabulary; throws a ConfigError listing every problem.
 */
export function loadPreset(
  preset: Preset,
  configsDir: string,
  extra: readonly string[] = [],
  opts: ResolveOptions = {},
): ResolvedConfig {
  const files = [...preset.files, ...extra].map((f) => join(configsDir, f));
  return withVocabSize(loadConfig(files, { ...opts, vocabSize: preset.vocabSize }), preset.vocabSize);
}
