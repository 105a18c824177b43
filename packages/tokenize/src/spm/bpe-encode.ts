// SentencePiece's BPE encoding (bpe_model.cc, Model::SampleEncode without dropout): the normalized text
// is cut into characters (user-defined pieces first, longest match), then the adjacent pair whose
// concatenation is a piece with the highest score is merged, leftmost on a tie, until none is left.
// Symbols that end up outside the vocabulary become unk, or their UTF-8 bytes as `<0xXX>` pieces
// under byte fallback (sentencepiece_processor.cc).

export interface SpmVocab {
  /** NORMAL and USER_DEFINED pieces: the ones merges may produce. */
  mergeable: ReadonlyMap<string, { id: number; score: number }>;
  /** Every piece -> id (PieceToId). */
  ids: ReadonlyMap<string, number>;
  userDefined: readonly string[];
  byteIds: Int32Array | undefined;
  unkId: number;
}

interface Sym {
  text: string;
  prev: number;
  next: number;
  frozen: boolean;
}

export function spmBpeEncode(vocab: SpmVocab, normalized: string, out: number[]): void {
  const syms: Sym[] = [];
  for (let pos = 0; pos < normalized.length; ) {
    let text = "";
    for (const u of vocab.userDefined) {
      if (u.length > text.length && normalized.startsWith(u, pos)) text = u;
    }
    const frozen = text !== "";
    if (!frozen) text = String.fromCodePoint(normalized.codePointAt(pos)!);
    syms.push({ text, prev: syms.length - 1, next: -1, frozen });
    pos += text.length;
  }
  for (let i = 0; i + 1 < syms.length; i++) syms[i]!.next = i + 1;

  const heap = new ScoreHeap();
  const tryPair = (l: number, r: number) => {
    if (l < 0 || r < 0) return;
    const a = syms[l]!;
    const b = syms[r]!;
    if (a.frozen || b.frozen) return;
    const hit = vocab.mergeable.get(a.text + b.text);
    if (hit) heap.push(hit.score, l, r, a.text.length + b.text.length);
  };
  for (let i = 0; i + 1 < syms.length; i++) tryPair(i, i + 1);
  while (heap.size > 0) {
    const { left, right, size } = heap.pop();
    const a = syms[left]!;
    const b = syms[right]!;
    // Stale entry: one side was merged away or grew since this pair was queued.
    if (a.text === "" || b.text === "" || a.next !== right || a.text.length + b.text.length !== size)
      continue;
    a.text += b.text;
    b.text = "";
    a.next = b.next;
    if (b.next >= 0) syms[b.next]!.prev = left;
    tryPair(a.prev, left);
    tryPair(left, a.next);
  }
  for (let i = syms.length > 0 ? 0 : -1; i >= 0; i = syms[i]!.next) emit(vocab, syms[i]!.text, out);
}

const encoder = new TextEncoder();

function emit(vocab: SpmVocab, piece: string, out: number[]): void {
  const id = vocab.ids.get(piece);
  if (id !== undefined) {
    out.push(id);
    return;
  }
  if (!vocab.byteIds) {
    // Consecutive unknowns are one unk in SentencePiece's output.
    if (out.length === 0 || out[out.length - 1] !== vocab.unkId) out.push(vocab.unkId);
    return;
  }
  for (const b of encoder.encode(piece)) out.push(vocab.byteIds[b]!);
}

/** Max-heap on score, then min on left position. */
class ScoreHeap {
  private items: { score: number; left: number; right: number; size: number }[] = [];

  get size(): number {
    return this.items.length;
  }

  private before(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }

  private swap(i: number, j: number): void {
    const t = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = t;
  }

  push(score: number, left: number, right: number, size: number): void {
    this.items.push({ score, left, right, size });
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { score: number; left: number; right: number; size: number } {
    const top = this.items[0]!;
    const last = this.items.pop()!;
    if (this.items.length > 0) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.before(l, m)) m = l;
        if (r < this.items.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
