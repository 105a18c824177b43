// GPT-NeoX's CharLevelTokenizer: ids are the UTF-8 bytes of the text (`np.fromstring(text, uint8)`),
// vocab_size 512, eod 0, pad 1; detokenize maps each id to `chr(clamp(id, 32, 512))`, so it is lossy
// for control characters and non-ASCII text, exactly as GPT-NeoX's is.

import type { Tokenizer } from "./tokenizer";

export class CharLevelTokenizer implements Tokenizer {
  readonly type = "CharLevelTokenizer" as const;
  readonly engine = "char-level" as const;
  readonly vocabSize = 512;
  readonly eod = 0;
  readonly pad = 1;
  private readonly encoder = new TextEncoder();

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  encodeInto(text: string, out: number[]): void {
    for (const b of this.encoder.encode(text)) out.push(b);
  }

  decode(ids: readonly number[]): string {
    let s = "";
    for (const id of ids) s += String.fromCodePoint(Math.max(32, Math.min(id, this.vocabSize)));
    return s;
  }
}
