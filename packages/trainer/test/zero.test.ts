// ZeRO-1's cut of the flat buffer: shards of floor(N / size) that cover [0, N) once, in rank order,
// the last one holding what is left over, and each shard's parameter specs (decay part, then
// no-decay part) in the order FlatParams lays them out, so the shard's flat buffer lines up element
// for element with the full one.
import { describe, expect, it } from "vitest";
import { shardRange, shardSpecs } from "../src/zero";

describe("ZeRO-1 shards", () => {
  it("cover [0, N) once in rank order, the last holding the rest", () => {
    for (const [N, size] of [
      [10, 2],
      [11, 2],
      [7, 4],
      [4, 4],
      [1000003, 3],
    ] as const) {
      let next = 0;
      for (let r = 0; r < size; r++) {
        const s = shardRange(N, size, r);
        expect(s.B).toBe(Math.floor(N / size));
        expect(s.lo).toBe(next);
        expect(s.hi - s.lo).toBe(r === size - 1 ? N - (size - 1) * s.B : s.B);
        next = s.hi;
      }
      expect(next).toBe(N);
    }
  });

  it("refuses fewer elements than ranks", () => {
    expect(() => shardRange(3, 4, 0)).toThrow("3 parameters cannot be sharded over 4 ranks");
  });

  it("split a shard at the decay / no-decay boundary", () => {
    // N = 11, decay range [0, 7): rank 0 [0, 5) all decay; rank 1 [5, 11): 2 decay, 4 no-decay
    expect(shardSpecs(shardRange(11, 2, 0), 7)).toEqual([{ name: "decay", shape: [5], decay: true }]);
    expect(shardSpecs(shardRange(11, 2, 1), 7)).toEqual([
      { name: "decay", shape: [2], decay: true },
      { name: "no_decay", shape: [4], decay: false },
    ]);
  });
});
