// ZeRO-1's cut of the flat buffer: equal shards of ceil(N / size) that cover [0, N) once, in rank
// order, and each shard's parameter specs (decay part, no-decay part, zero padding) in the order
// FlatParams lays them out, so the shard's flat buffer lines up element for element with the full one.
import { describe, expect, it } from "vitest";
import { shardRange, shardSpecs } from "../src/zero1";

describe("ZeRO-1 shards", () => {
  it("cover [0, N) once in rank order, the last padded", () => {
    for (const [N, size] of [
      [10, 2],
      [11, 2],
      [7, 4],
      [3, 4],
      [1000003, 3],
    ] as const) {
      let next = 0;
      for (let r = 0; r < size; r++) {
        const s = shardRange(N, size, r);
        expect(s.S * size).toBeGreaterThanOrEqual(N);
        expect((s.S - 1) * size).toBeLessThan(N);
        expect(s.lo).toBe(next);
        expect(s.hi - s.lo).toBeLessThanOrEqual(s.S);
        next = s.hi;
      }
      expect(next).toBe(N);
    }
  });

  it("split a shard at the decay / no-decay boundary and pad it to S", () => {
    // N = 11, decay range [0, 7): rank 0 [0, 6) all decay; rank 1 [6, 11): 1 decay, 4 no-decay, 1 pad
    expect(shardSpecs(shardRange(11, 2, 0), 7)).toEqual([{ name: "decay", shape: [6], decay: true }]);
    expect(shardSpecs(shardRange(11, 2, 1), 7)).toEqual([
      { name: "decay", shape: [1], decay: true },
      { name: "no_decay", shape: [4], decay: false },
      { name: "padding", shape: [1], decay: false },
    ]);
    // 3 elements over 4 ranks: rank 3 holds padding only
    expect(shardSpecs(shardRange(3, 4, 3), 3)).toEqual([{ name: "padding", shape: [1], decay: false }]);
  });
});
