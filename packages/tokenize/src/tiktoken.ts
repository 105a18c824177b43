// GPT-NeoX's TiktokenTokenizer: `vocab_file` names a tiktoken encoding (cl100k_base, o200k_base, gpt2,
// r50k_base, p50k_base, p50k_edit), served by `js-tiktoken` from ranks bundled in the npm package (no
// download). vocab_size = n_vocab (largest token value + 1), eod = eot_token (`<|endoftext|>`), no pad.
// Special tokens in text are encoded as special tokens (GPT-NeoX's tokenize_batch allows "all"; its
// single-text tokenize would raise instead).

import { Tiktoken, type TiktokenBPE } from "js-tiktoken/lite";
import type { Tokenizer } from "./tokenizer";

export const TIKTOKEN_ENCODINGS = [
  "gpt2",
  "r50k_base",
  "p50k_base",
  "p50k_edit",
  "cl100k_base",
  "o200k_base",
] as const;

export class TiktokenTokenizer implements Tokenizer {
  readonly type = "TiktokenTokenizer" as const;
  readonly engine = "tiktoken" as const;
  readonly pad = undefined;

  private constructor(
    private readonly tk: Tiktoken,
    readonly vocabSize: number,
    readonly eod: number,
  ) {}

  static async load(encoding: string): Promise<TiktokenTokenizer> {
    if (!(TIKTOKEN_ENCODINGS as readonly string[]).includes(encoding)) {
      throw new Error(
        `TiktokenTokenizer: unknown encoding "${encoding}" (--vocab-file names the encoding); expected one of ${TIKTOKEN_ENCODINGS.join(", ")}`,
      );
    }
    const ranks = (await loadRanks(encoding)) as TiktokenBPE;
    const eod = ranks.special_tokens["<|endoftext|>"];
    if (eod === undefined)
      throw new Error(`TiktokenTokenizer: encoding ${encoding} has no <|endoftext|> token`);
    return new TiktokenTokenizer(new Tiktoken(ranks), nVocab(ranks), eod);
  }

  encode(text: string): number[] {
    return this.tk.encode(text, "all");
  }

  encodeInto(text: string, out: number[]): void {
    for (const id of this.tk.encode(text, "all")) out.push(id);
  }

  decode(ids: readonly number[]): string {
    return this.tk.decode([...ids]);
  }
}

async function loadRanks(encoding: string): Promise<unknown> {
  // One static import per encoding keeps bundlers able to see them; each is loaded only when asked for.
  switch (encoding) {
    case "gpt2":
      return (await import("js-tiktoken/ranks/gpt2")).default;
    case "r50k_base":
      return (await import("js-tiktoken/ranks/r50k_base")).default;
    case "p50k_base":
      return (await import("js-tiktoken/ranks/p50k_base")).default;
    case "p50k_edit":
      return (await import("js-tiktoken/ranks/p50k_edit")).default;
    case "cl100k_base":
      return (await import("js-tiktoken/ranks/cl100k_base")).default;
    default:
      return (await import("js-tiktoken/ranks/o200k_base")).default;
  }
}

/** tiktoken's n_vocab: max(mergeable rank, special token) + 1. Rank lines read "<prefix> <offset> tok...". */
function nVocab(ranks: TiktokenBPE): number {
  let max = -1;
  for (const line of ranks.bpe_ranks.split("\n")) {
    if (line === "") continue;
    const parts = line.split(" ");
    const offset = Number.parseInt(parts[1]!, 10);
    max = Math.max(max, offset + parts.length - 3);
  }
  for (const id of Object.values(ranks.special_tokens)) max = Math.max(max, id);
  return max + 1;
}
