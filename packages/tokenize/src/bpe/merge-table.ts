// An open-addressing hash table from a pair of token ids to (merge rank, merged id): the inner loop of
// BPE asks it "may these two neighbours merge, and how early?" millions of times, so it avoids Map's
// boxed keys for pairs whose packed key exceeds a small integer.

export class MergeTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly ranks: Int32Array;
  private readonly merged: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(capacityHint: number) {
    let cap = 16;
    while (cap < capacityHint * 2) cap *= 2;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.merged = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask;
  }

  /** Adds a merge; a pair listed twice keeps its later rank, as a map built from the list would. */
  set(a: number, b: number, rank: number, mergedId: number): void {
    let i = this.slot(a, b);
    while (this.left[i] !== -1) {
      if (this.left[i] === a && this.right[i] === b) {
        this.ranks[i] = rank;
        this.merged[i] = mergedId;
        return;
      }
      i = (i + 1) & this.mask;
    }
    this.left[i] = a;
    this.right[i] = b;
    this.ranks[i] = rank;
    this.merged[i] = mergedId;
    this.size++;
  }

  /** The slot index of pair (a, b), or -1 when the pair never merges. */
  find(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const l = this.left[i]!;
      if (l === -1) return -1;
      if (l === a && this.right[i] === b) return i;
      i = (i + 1) & this.mask;
    }
  }

  rankAt(slot: number): number {
    return this.ranks[slot]!;
  }

  mergedAt(slot: number): number {
    return this.merged[slot]!;
  }
}
