// build_tokenizer (GPT-NeoX megatron/tokenizer/tokenizer.py): picks the tokenizer class from
// `tokenizer_type` (case-insensitive) and checks that the files it needs were given.

import { CharLevelTokenizer } from "./char-level";
import { GPT2BPETokenizer } from "./gpt2-bpe";
import { HFGPT2Tokenizer } from "./hf-gpt2";
import { HFTokenizer, type HfTokenizerOptions } from "./hf-tokenizer";
import { SPMTokenizer } from "./spm-tokenizer";
import { TiktokenTokenizer } from "./tiktoken";
import { TOKENIZER_TYPES, type Tokenizer, type TokenizerType } from "./tokenizer";

export interface TokenizerOptions {
  tokenizerType: string;
  vocabFile?: string | undefined;
  mergeFile?: string | undefined;
  /** HFTokenizer only: force the reference engine. */
  engine?: HfTokenizerOptions["engine"];
}

/**
 * The options GPT-NeoX's config keys give (`tokenizer_type`, default GPT2BPETokenizer as in
 * GPT-NeoX; `vocab_file`; `merge_file`), from a plain record of resolved config values.
 */
export function tokenizerOptionsFromConfig(values: Readonly<Record<string, unknown>>): TokenizerOptions {
  return {
    tokenizerType: String(values.tokenizer_type ?? "GPT2BPETokenizer"),
    vocabFile: typeof values.vocab_file === "string" ? values.vocab_file : undefined,
    mergeFile: typeof values.merge_file === "string" ? values.merge_file : undefined,
  };
}

/** Resolves a type name case-insensitively, or throws listing the accepted names. */
export function resolveTokenizerType(name: string): TokenizerType {
  const t = TOKENIZER_TYPES.find((x) => x.toLowerCase() === name.toLowerCase());
  if (!t) throw new Error(`unknown tokenizer type "${name}"; expected one of ${TOKENIZER_TYPES.join(", ")}`);
  return t;
}

export async function loadTokenizer(opts: TokenizerOptions): Promise<Tokenizer & EncodeInto> {
  const type = resolveTokenizerType(opts.tokenizerType);
  const need = (what: "vocabFile" | "mergeFile", flag: string, hint: string): string => {
    const v = opts[what];
    if (!v) throw new Error(`${type} needs ${flag} (${hint})`);
    return v;
  };
  switch (type) {
    case "GPT2BPETokenizer":
      return new GPT2BPETokenizer(
        need("vocabFile", "--vocab-file", "GPT-2's vocab.json"),
        need("mergeFile", "--merge-file", "GPT-2's merges.txt"),
      );
    case "HFTokenizer":
      return new HFTokenizer(need("vocabFile", "--vocab-file", "a tokenizer.json"), { engine: opts.engine });
    case "HFGPT2Tokenizer":
      return new HFGPT2Tokenizer(
        need("vocabFile", "--vocab-file", "a GPT-2 tokenizer.json or the folder holding it"),
      );
    case "CharLevelTokenizer":
      return new CharLevelTokenizer();
    case "SPMTokenizer":
      return new SPMTokenizer(need("vocabFile", "--vocab-file", "a SentencePiece tokenizer.model"));
    case "TiktokenTokenizer":
      return TiktokenTokenizer.load(
        need("vocabFile", "--vocab-file", "a tiktoken encoding name such as cl100k_base"),
      );
  }
}

/** Every tokenizer here can append ids to an existing array (the prepare-data hot path). */
export interface EncodeInto {
  encodeInto(text: string, out: number[]): void;
}
