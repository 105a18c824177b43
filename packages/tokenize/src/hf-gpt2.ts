// GPT-NeoX's HFGPT2Tokenizer: transformers' GPT2TokenizerFast for "gpt2" plus an added `<|padding|>`
// special token, so vocab_size = len(tokenizer) = 50258, pad = 50257, eod = eos (50256). GPT-NeoX
// downloads "gpt2" from the Hugging Face hub when no vocab file is given; we never download, so
// `--vocab-file` must name GPT-2's tokenizer.json or the folder that holds it.

import { statSync } from "node:fs";
import { join } from "node:path";
import { ByteLevelBpe } from "./bpe/byte-level-bpe";
import { byteLevelSpecOf, parseTokenizerJson } from "./hf-json";
import { readTokenizerText } from "./read-file";
import type { Tokenizer } from "./tokenizer";

export class HFGPT2Tokenizer implements Tokenizer {
  readonly type = "HFGPT2Tokenizer" as const;
  readonly engine = "byte-level-bpe" as const;
  readonly vocabSize: number;
  readonly eod: number;
  readonly pad: number;
  private readonly bpe: ByteLevelBpe;

  constructor(vocabFile: string) {
    const path = statSync(vocabFile, { throwIfNoEntry: false })?.isDirectory()
      ? join(vocabFile, "tokenizer.json")
      : vocabFile;
    let text: string;
    try {
      text = readTokenizerText(path);
    } catch (err) {
      throw new Error(
        `HFGPT2Tokenizer: cannot read ${path} (${(err as Error).message}); pass GPT-2's tokenizer.json or its folder`,
      );
    }
    const spec = byteLevelSpecOf(parseTokenizerJson(text, path));
    if ("unsupported" in spec)
      throw new Error(
        `HFGPT2Tokenizer: ${path} is not a GPT-2 byte-level BPE tokenizer (${spec.unsupported})`,
      );
    const eod = spec.vocab.get("<|endoftext|>");
    if (eod === undefined) throw new Error(`HFGPT2Tokenizer: ${path} has no "<|endoftext|>" token`);
    const hasPad = spec.addedTokens.find((t) => t.content === "<|padding|>");
    const pad = hasPad?.id ?? Math.max(spec.vocab.size, ...spec.addedTokens.map((t) => t.id + 1));
    const addedTokens = hasPad
      ? spec.addedTokens
      : [...spec.addedTokens, { id: pad, content: "<|padding|>", special: true, normalized: false }];
    this.bpe = new ByteLevelBpe({ ...spec, addedTokens });
    this.vocabSize = this.bpe.vocabSize;
    this.eod = eod;
    this.pad = pad;
  }

  encode(text: string): number[] {
    return this.bpe.encode(text);
  }

  encodeInto(text: string, out: number[]): void {
    this.bpe.encodeInto(text, out);
  }

  /** transformers' decode keeps special tokens unless asked otherwise. */
  decode(ids: readonly number[]): string {
    return this.bpe.decode(ids, false);
  }
}
