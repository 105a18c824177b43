// The tokenizer contract every GPT-NeoX tokenizer type satisfies (GPT-NeoX
// megatron/tokenizer/tokenizer.py: tokenize, detokenize, eod, vocab_size; pad where the type has one).

/** The `tokenizer_type` values GPT-NeoX accepts (matched case-insensitively, as GPT-NeoX does). */
export const TOKENIZER_TYPES = [
  "GPT2BPETokenizer",
  "HFTokenizer",
  "HFGPT2Tokenizer",
  "CharLevelTokenizer",
  "SPMTokenizer",
  "TiktokenTokenizer",
] as const;

export type TokenizerType = (typeof TOKENIZER_TYPES)[number];

/** Which implementation encodes: our byte-level BPE, the pure-JS Hugging Face reference, or another. */
export type TokenizerEngine =
  | "byte-level-bpe"
  | "hf-reference"
  | "sentencepiece-bpe"
  | "char-level"
  | "tiktoken";

export interface Tokenizer {
  readonly type: TokenizerType;
  readonly engine: TokenizerEngine;
  /** Unpadded vocabulary size, as GPT-NeoX's `tokenizer.vocab_size` (decides the .bin dtype). */
  readonly vocabSize: number;
  /** End-of-document id appended by `--append-eod`. */
  readonly eod: number;
  /** Padding id, or undefined where GPT-NeoX's tokenizer has none. */
  readonly pad: number | undefined;
  /** Text to ids, with GPT-NeoX's `tokenize` semantics for this type. */
  encode(text: string): number[];
  /** Ids to text, with GPT-NeoX's `detokenize` semantics for this type. */
  decode(ids: readonly number[]): string;
}
