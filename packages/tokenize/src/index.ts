// @neox/tokenize: the tokenizer types GPT-NeoX offers, with its eod/pad/vocab_size semantics.
export {
  type EncodeInto,
  loadTokenizer,
  resolveTokenizerType,
  type TokenizerOptions,
  tokenizerOptionsFromConfig,
} from "./build";
export { CharLevelTokenizer } from "./char-level";
export {
  brownDocuments,
  brownFiles,
  DEFAULT_DATASET,
  defaultTokenizerFiles,
  detagBrown,
} from "./default-assets";
export { GPT2BPETokenizer } from "./gpt2-bpe";
export { HFGPT2Tokenizer } from "./hf-gpt2";
export { HFTokenizer, type HfTokenizerOptions } from "./hf-tokenizer";
export { SPMTokenizer } from "./spm-tokenizer";
export { TIKTOKEN_ENCODINGS, TiktokenTokenizer } from "./tiktoken";
export { TOKENIZER_TYPES, type Tokenizer, type TokenizerEngine, type TokenizerType } from "./tokenizer";
