// Added tokens (`added_tokens` in tokenizer.json: `<|endoftext|>`, GPT-NeoX-20B's whitespace runs) are
// cut out of the text before pre-tokenization. Hugging Face matches them leftmost-longest (an
// Aho-Corasick automaton with MatchKind::LeftmostLongest); a JavaScript alternation tried longest
// first finds the same matches, since at the leftmost matching position it takes the first
// alternative that fits.

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  /** Matched on normalized text (true) or on the raw input (false). */
  normalized: boolean;
}

export type Piece = { token: AddedToken; text?: undefined } | { token?: undefined; text: string };

export class AddedTokenSplitter {
  private readonly pattern: RegExp | undefined;
  private readonly byContent: Map<string, AddedToken>;

  constructor(tokens: readonly AddedToken[]) {
    this.byContent = new Map(tokens.map((t) => [t.content, t]));
    const contents = [...this.byContent.keys()].filter((c) => c.length > 0);
    contents.sort((a, b) => b.length - a.length);
    this.pattern =
      contents.length === 0
        ? undefined
        : new RegExp(contents.map((c) => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|"), "g");
  }

  get empty(): boolean {
    return this.pattern === undefined;
  }

  /** Splits `text` into added tokens and the runs of text between them (empty runs are left out). */
  split(text: string, out: Piece[]): void {
    if (this.pattern === undefined) {
      if (text.length > 0) out.push({ text });
      return;
    }
    const re = new RegExp(this.pattern);
    let last = 0;
    let m: RegExpExecArray | null = re.exec(text);
    while (m !== null) {
      if (m.index > last) out.push({ text: text.slice(last, m.index) });
      out.push({ token: this.byContent.get(m[0])! });
      last = m.index + m[0].length;
      m = re.exec(text);
    }
    if (last < text.length) out.push({ text: text.slice(last) });
  }
}
