// Liveness-based offset assignment: buffers whose lifetimes overlap get disjoint byte ranges of one
// arena; buffers that are never alive at the same time share memory. Greedy "largest first, lowest
// free offset" placement, the heuristic TFLite and XLA use for static memory plans.

export interface Lifetime {
  /** Any key the caller uses to find the offset again. */
  readonly key: number;
  readonly bytes: number;
  /** First and last step (inclusive) that touch the buffer. */
  readonly first: number;
  readonly last: number;
}

export interface ArenaLayout {
  /** Byte offset of each buffer, by key. */
  readonly offsets: Map<number, number>;
  /** Arena size in bytes. */
  readonly bytes: number;
}

export const ARENA_ALIGN = 64;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export function assignOffsets(lifetimes: readonly Lifetime[], align = ARENA_ALIGN): ArenaLayout {
  const order = [...lifetimes].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.key - b.key);
  const placed: { lo: number; hi: number; first: number; last: number }[] = [];
  const offsets = new Map<number, number>();
  let total = 0;
  for (const buf of order) {
    if (buf.first > buf.last)
      throw new Error(`arena: buffer ${buf.key} ends (${buf.last}) before it starts (${buf.first})`);
    const size = alignUp(Math.max(buf.bytes, 1), align);
    // Ranges already taken by buffers alive at the same time, by start offset.
    const busy = placed.filter((p) => p.first <= buf.last && buf.first <= p.last).sort((a, b) => a.lo - b.lo);
    let offset = 0;
    for (const p of busy) {
      if (offset + size <= p.lo) break;
      offset = Math.max(offset, p.hi);
    }
    placed.push({ lo: offset, hi: offset + size, first: buf.first, last: buf.last });
    offsets.set(buf.key, offset);
    total = Math.max(total, offset + size);
  }
  return { offsets, bytes: total };
}
