// Applies BPE merges to one pre-tokenized word, given as the ids of its initial symbols. The rule is
// Hugging Face's `Word::merge_all`: repeatedly merge the adjacent pair with the lowest merge rank,
// the leftmost one on a tie, until no adjacent pair has a merge. Short words use a direct scan; long
// ones (a run of thousands of letters or symbols) a heap over a linked list, so cost stays n log n.

import type { MergeTable } from "./merge-table";

const SCAN_LIMIT = 48;

/** Merges `ids[0..n)` in place and returns the new length. */
export function mergeWord(table: MergeTable, ids: Int32Array, n: number): number {
  return n <= SCAN_LIMIT ? mergeByScan(table, ids, n) : mergeByHeap(table, ids, n);
}

function mergeByScan(table: MergeTable, ids: Int32Array, n: number): number {
  while (n > 1) {
    let bestRank = 0x7fffffff;
    let bestPos = -1;
    let bestSlot = -1;
    for (let i = 0; i < n - 1; i++) {
      const slot = table.find(ids[i]!, ids[i + 1]!);
      if (slot >= 0) {
        const r = table.rankAt(slot);
        if (r < bestRank) {
          bestRank = r;
          bestPos = i;
          bestSlot = slot;
        }
      }
    }
    if (bestPos < 0) break;
    ids[bestPos] = table.mergedAt(bestSlot);
    ids.copyWithin(bestPos + 1, bestPos + 2, n);
    n--;
  }
  return n;
}

/**
 * Heap entries are (rank, left position, merged id, length of the pair in initial symbols); an entry
 * is stale when either side has since been merged into something else, detected by the length check
 * (as SentencePiece and Hugging Face do).
 */
function mergeByHeap(table: MergeTable, ids: Int32Array, n: number): number {
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const len = new Int32Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new PairHeap();
  const push = (l: number) => {
    const r = next[l]!;
    if (l < 0 || r < 0) return;
    const slot = table.find(ids[l]!, ids[r]!);
    if (slot >= 0) heap.push(table.rankAt(slot), l, table.mergedAt(slot), len[l]! + len[r]!);
  };
  for (let i = 0; i < n - 1; i++) push(i);
  while (heap.size > 0) {
    const [, l, merged, size] = heap.pop();
    const r = next[l]!;
    if (len[l] === 0 || r < 0 || len[l]! + len[r]! !== size) continue;
    ids[l] = merged;
    len[l] = size;
    len[r] = 0;
    next[l] = next[r]!;
    if (next[r]! >= 0) prev[next[r]!] = l;
    push(prev[l]!);
    push(l);
  }
  let out = 0;
  for (let i = 0; i >= 0; i = next[i]!) ids[out++] = ids[i]!;
  return out;
}

/** A binary min-heap on (rank, position). */
class PairHeap {
  private rank: number[] = [];
  private pos: number[] = [];
  private merged: number[] = [];
  private span: number[] = [];
  size = 0;

  private less(i: number, j: number): boolean {
    const a = this.rank[i]!;
    const b = this.rank[j]!;
    return a < b || (a === b && this.pos[i]! < this.pos[j]!);
  }

  private swap(i: number, j: number): void {
    for (const arr of [this.rank, this.pos, this.merged, this.span]) {
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
  }

  push(rank: number, pos: number, merged: number, span: number): void {
    let i = this.size++;
    this.rank[i] = rank;
    this.pos[i] = pos;
    this.merged[i] = merged;
    this.span[i] = span;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number, number, number] {
    const top: [number, number, number, number] = [
      this.rank[0]!,
      this.pos[0]!,
      this.merged[0]!,
      this.span[0]!,
    ];
    this.size--;
    if (this.size > 0) {
      this.swap(0, this.size);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.size && this.less(l, m)) m = l;
        if (r < this.size && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
