// Offset assignment: buffers alive at the same time never overlap; buffers with disjoint lives
// share memory, so the arena is smaller than the sum of the buffers.
import { describe, expect, it } from "vitest";
import { assignOffsets, type Lifetime } from "../src/plan/arena";

function overlaps(a: Lifetime, b: Lifetime, oa: number, ob: number): boolean {
  const alive = a.first <= b.last && b.first <= a.last;
  const memory = oa < ob + b.bytes && ob < oa + a.bytes;
  return alive && memory;
}

describe("assignOffsets", () => {
  it("reuses memory across disjoint lifetimes (a chain of temporaries)", () => {
    // t0 -> t1 -> t2 -> t3, each read only by the next step.
    const bufs: Lifetime[] = [0, 1, 2, 3].map((i) => ({ key: i, bytes: 1000, first: i, last: i + 1 }));
    const layout = assignOffsets(bufs);
    expect(layout.bytes).toBe(2 * 1024); // two 1000-byte buffers, 64-aligned
    for (const a of bufs)
      for (const b of bufs) {
        if (a.key !== b.key)
          expect(overlaps(a, b, layout.offsets.get(a.key)!, layout.offsets.get(b.key)!)).toBe(false);
      }
  });

  it("never overlaps live buffers on random lifetimes, and aligns every offset", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bufs: Lifetime[] = [];
    for (let i = 0; i < 300; i++) {
      const first = Math.floor(rand() * 200);
      bufs.push({
        key: i,
        bytes: 1 + Math.floor(rand() * 5000),
        first,
        last: first + Math.floor(rand() * 30),
      });
    }
    const layout = assignOffsets(bufs);
    let sum = 0;
    for (const a of bufs) {
      const oa = layout.offsets.get(a.key)!;
      expect(oa % 64).toBe(0);
      expect(oa + a.bytes).toBeLessThanOrEqual(layout.bytes);
      sum += a.bytes;
      for (const b of bufs)
        if (a.key < b.key) expect(overlaps(a, b, oa, layout.offsets.get(b.key)!)).toBe(false);
    }
    expect(layout.bytes).toBeLessThan(sum / 2);
  });

  it("names a buffer whose lifetime is inverted", () => {
    expect(() => assignOffsets([{ key: 7, bytes: 8, first: 3, last: 1 }])).toThrow(
      /buffer 7 ends \(1\) before it starts \(3\)/,
    );
  });
});
