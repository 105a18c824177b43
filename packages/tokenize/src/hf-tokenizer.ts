// GPT-NeoX's HFTokenizer: any `tokenizer.json`. eod = id of `<|endoftext|>`, pad = id of `<|padding|>`,
// vocab_size = get_vocab_size() with added tokens (GPT-NeoX megatron/tokenizer/tokenizer.py).
// Byte-level BPE files (GPT-2, GPT-NeoX-20B, Pythia) run on our engine; others on the reference.

import { ByteLevelBpe } from "./bpe/byte-level-bpe";
import { byteLevelSpecOf, parseTokenizerJson } from "./hf-json";
import { HfReference } from "./hf-reference";
import { readTokenizerText } from "./read-file";
import type { Tokenizer, TokenizerEngine } from "./tokenizer";

export interface HfTokenizerOptions {
  /** "auto" (default): our byte-level BPE where it applies, else the reference; "reference": always it. */
  engine?: "auto" | "reference";
}

export class HFTokenizer implements Tokenizer {
  readonly type = "HFTokenizer" as const;
  readonly engine: TokenizerEngine;
  readonly vocabSize: number;
  readonly eod: number;
  readonly pad: number | undefined;
  /** Why our engine was not used (undefined when it is). */
  readonly fallbackReason: string | undefined;
  private readonly fast: ByteLevelBpe | undefined;
  private readonly reference: HfReference | undefined;

  constructor(vocabFile: string, opts: HfTokenizerOptions = {}) {
    let text: string;
    try {
      text = readTokenizerText(vocabFile);
    } catch (err) {
      throw new Error(
        `HFTokenizer: cannot read vocab file ${vocabFile} (${(err as Error).message}); pass a tokenizer.json`,
      );
    }
    const tj = parseTokenizerJson(text, vocabFile);
    const spec =
      opts.engine === "reference" ? { unsupported: "reference engine requested" } : byteLevelSpecOf(tj);
    if ("unsupported" in spec) {
      this.reference = new HfReference(tj);
      this.engine = "hf-reference";
      this.fallbackReason = spec.unsupported;
      this.vocabSize = this.reference.vocabSize();
      this.eod = this.requireId(vocabFile, "<|endoftext|>", this.reference.tokenToId("<|endoftext|>"));
      this.pad = this.reference.tokenToId("<|padding|>");
    } else {
      this.fast = new ByteLevelBpe(spec);
      this.engine = "byte-level-bpe";
      this.fallbackReason = undefined;
      this.vocabSize = this.fast.vocabSize;
      this.eod = this.requireId(vocabFile, "<|endoftext|>", this.fast.tokenToId("<|endoftext|>"));
      this.pad = this.fast.tokenToId("<|padding|>");
    }
  }

  private requireId(file: string, token: string, id: number | undefined): number {
    // GPT-NeoX stores None here and fails later at --append-eod; failing now names the file.
    if (id === undefined)
      throw new Error(`HFTokenizer: ${file} has no "${token}" token, which GPT-NeoX uses as eod`);
    return id;
  }

  encode(text: string): number[] {
    return this.fast ? this.fast.encode(text) : this.reference!.encode(text);
  }

  /** Appends ids to `out` (no intermediate array on our engine's path). */
  encodeInto(text: string, out: number[]): void {
    if (this.fast) this.fast.encodeInto(text, out);
    else for (const id of this.reference!.encode(text)) out.push(id);
  }

  decode(ids: readonly number[]): string {
    return this.fast ? this.fast.decode(ids, true) : this.reference!.decode(ids);
  }
}
