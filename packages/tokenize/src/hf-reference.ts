// The portable reference engine: Hugging Face's pure-JavaScript `@huggingface/tokenizers`. It runs any
// tokenizer.json; we use it where our byte-level BPE does not apply and as the oracle in tests.

import { Tokenizer as HfJsTokenizer } from "@huggingface/tokenizers";
import type { HfTokenizerJson } from "./hf-json";

export class HfReference {
  private readonly tk: HfJsTokenizer;

  constructor(tj: HfTokenizerJson) {
    this.tk = new HfJsTokenizer(tj.json, {});
  }

  /** GPT-NeoX's HFTokenizer.tokenize: `encode(text).ids`, with the post-processor's special tokens. */
  encode(text: string): number[] {
    return this.tk.encode(text, { add_special_tokens: true }).ids;
  }

  /** GPT-NeoX's HFTokenizer.detokenize: `decode(ids)`, which skips special tokens by default. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.tk.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | undefined {
    return this.tk.token_to_id(token);
  }

  vocabSize(): number {
    return this.tk.get_vocab(true).size;
  }
}
