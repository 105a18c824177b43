// Byte-level BPE (GPT-2, GPT-NeoX-20B, Pythia): added tokens cut out first, optional NFC, GPT-2's
// pre-tokenizer regex, each word's UTF-8 bytes mapped to visible characters, then BPE merges. This is
// the hot path of prepare-data: each distinct word is merged once and its ids cached.

import { type AddedToken, AddedTokenSplitter, type Piece } from "./added-tokens";
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from "./byte-level";
import { MergeTable } from "./merge-table";
import { mergeWord } from "./merge-word";
import { scanPreTokens } from "./pretokenize";

export interface ByteLevelBpeSpec {
  /** Token string (byte-level characters) -> id. */
  vocab: ReadonlyMap<string, number>;
  /** Merge rules in rank order, each the two token strings that merge. */
  merges: readonly (readonly [string, string])[];
  addedTokens: readonly AddedToken[];
  normalizer: "none" | "nfc";
  /** Hugging Face ByteLevel `add_prefix_space`: a space is put before text that lacks one. */
  addPrefixSpace: boolean;
  /** Where the spec came from, for error messages. */
  source: string;
}

const CACHE_LIMIT = 1 << 20;

export class ByteLevelBpe {
  readonly vocabSize: number;
  private readonly merges: MergeTable;
  private readonly byteIds = new Int32Array(256);
  private readonly idToToken: (string | undefined)[] = [];
  private readonly specialIds = new Set<number>();
  private readonly rawSplitter: AddedTokenSplitter;
  private readonly normalizedSplitter: AddedTokenSplitter;
  private readonly cache = new Map<string, number | number[]>();
  private scratch = new Int32Array(256);
  private readonly encoder = new TextEncoder();
  private bytes = new Uint8Array(1024);

  constructor(private readonly spec: ByteLevelBpeSpec) {
    for (const [tok, id] of spec.vocab) this.idToToken[id] = tok;
    for (const t of spec.addedTokens) {
      this.idToToken[t.id] = t.content;
      if (t.special) this.specialIds.add(t.id);
    }
    // Hugging Face's get_vocab_size(with_added_tokens=true): distinct token strings of both maps.
    const contents = new Set(spec.vocab.keys());
    for (const t of spec.addedTokens) contents.add(t.content);
    this.vocabSize = contents.size;
    for (let b = 0; b < 256; b++) {
      const id = spec.vocab.get(BYTE_TO_CHAR[b]!);
      // 0xC0, 0xC1 and 0xF5..0xFF never occur in UTF-8, so vocabularies may leave them out (GPT-NeoX-20B does).
      if (id === undefined && (b === 0xc0 || b === 0xc1 || b >= 0xf5)) {
        this.byteIds[b] = -1;
        continue;
      }
      if (id === undefined) {
        throw new Error(
          `${spec.source}: byte-level vocabulary lacks the token for byte ${b} ("${BYTE_TO_CHAR[b]}")`,
        );
      }
      this.byteIds[b] = id;
    }
    this.merges = new MergeTable(spec.merges.length);
    spec.merges.forEach(([a, b], rank) => {
      const ia = spec.vocab.get(a);
      const ib = spec.vocab.get(b);
      const im = spec.vocab.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : a + b;
        throw new Error(
          `${spec.source}: merge ${rank} "${a} ${b}" uses "${missing}", which is not in the vocabulary`,
        );
      }
      this.merges.set(ia, ib, rank, im);
    });
    this.rawSplitter = new AddedTokenSplitter(spec.addedTokens.filter((t) => !t.normalized));
    this.normalizedSplitter = new AddedTokenSplitter(spec.addedTokens.filter((t) => t.normalized));
  }

  encode(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    return out;
  }

  /** Appends the ids of `text` to `out`. */
  encodeInto(text: string, out: number[]): void {
    if (this.rawSplitter.empty && this.normalizedSplitter.empty) {
      this.encodeText(this.normalize(text), out);
      return;
    }
    const raw: Piece[] = [];
    this.rawSplitter.split(text, raw);
    for (const p of raw) {
      if (p.token) {
        out.push(p.token.id);
        continue;
      }
      const pieces: Piece[] = [];
      this.normalizedSplitter.split(this.normalize(p.text), pieces);
      for (const q of pieces) {
        if (q.token) out.push(q.token.id);
        else this.encodeText(q.text, out);
      }
    }
  }

  private normalize(text: string): string {
    return this.spec.normalizer === "nfc" ? text.normalize("NFC") : text;
  }

  private encodeText(text: string, out: number[]): void {
    if (text.length === 0) return;
    if (this.spec.addPrefixSpace && text.charCodeAt(0) !== 0x20) text = ` ${text}`;
    const cache = this.cache;
    scanPreTokens(text, (start, end) => {
      const word = text.slice(start, end);
      let ids = cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(word);
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(word, ids);
      }
      if (typeof ids === "number") out.push(ids);
      else for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
    });
  }

  /** BPE over one word; a single id is returned unboxed (most words are one token). */
  private encodeWord(word: string): number | number[] {
    let n: number;
    if (word.length * 3 > this.bytes.length) this.bytes = new Uint8Array(word.length * 3 + 16);
    n = this.encoder.encodeInto(word, this.bytes).written;
    if (n > this.scratch.length) this.scratch = new Int32Array(n * 2);
    const ids = this.scratch;
    for (let i = 0; i < n; i++) ids[i] = this.byteIds[this.bytes[i]!]!;
    n = mergeWord(this.merges, ids, n);
    return n === 1 ? ids[0]! : Array.from(ids.subarray(0, n));
  }

  /** The id of a token string (an added token's content or a vocabulary entry). */
  tokenToId(token: string): number | undefined {
    for (const t of this.spec.addedTokens) if (t.content === token) return t.id;
    return this.spec.vocab.get(token);
  }

  /** The token string of an id (byte-level characters, or an added token's content). */
  idToTokenString(id: number): string | undefined {
    return this.idToToken[id];
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /**
   * Hugging Face's ByteLevel decoder: each token's characters map back to bytes; a token with a
   * character outside the map (an added token such as "  ") contributes its own UTF-8 bytes. Invalid
   * UTF-8 becomes U+FFFD, as `from_utf8_lossy` and Python's errors="replace" do.
   */
  decode(ids: readonly number[], skipSpecial: boolean): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const tok = this.idToToken[id];
      if (tok === undefined) throw new Error(`${this.spec.source}: id ${id} is not in the vocabulary`);
      if (skipSpecial && this.specialIds.has(id)) continue;
      const start = bytes.length;
      let mapped = true;
      for (let i = 0; i < tok.length; i++) {
        const c = tok.charCodeAt(i);
        const b = c < 512 ? CHAR_TO_BYTE[c]! : -1;
        if (b < 0) {
          mapped = false;
          break;
        }
        bytes.push(b);
      }
      if (!mapped) {
        bytes.length = start;
        for (const b of Buffer.from(tok, "utf8")) bytes.push(b);
      }
    }
    return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  }
}
