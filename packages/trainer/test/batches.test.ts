// GPT-NeoX's micro-batches (neox-spec §2f): consecutive samples per global micro-batch, rank r's
// slice [r·micro, (r+1)·micro), inputs text[:-1] and labels text[1:], the loss mask 0 where the input
// token is the end-of-document id under eod_mask_loss, drop-last and wrap-around.
import { describe, expect, it } from "vitest";
import { allocMicroBatch, MicroBatchStream } from "../src/index";
import { ArraySource } from "./helpers";

// 10 samples of 4 + 1 tokens: sample i holds 10·i, 10·i + 1, ..., 10·i + 4; token 0 appears in sample 0.
const T = 4;
const source = new ArraySource(
  Int32Array.from({ length: 10 * (T + 1) }, (_, n) => 10 * Math.floor(n / (T + 1)) + (n % (T + 1))),
  T,
);

describe("MicroBatchStream", () => {
  it("takes consecutive samples, shifts labels by one, and masks nothing by default", () => {
    const s = new MicroBatchStream(source, { micro: 2 });
    const b = allocMicroBatch(2, T);
    s.next(b);
    expect([...b.tokens]).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
    expect([...b.labels]).toEqual([1, 2, 3, 4, 11, 12, 13, 14]);
    expect([...b.mask]).toEqual(new Array(8).fill(1));
    s.next(b);
    expect([...b.tokens]).toEqual([20, 21, 22, 23, 30, 31, 32, 33]);
    expect(s.position).toBe(2);
  });

  it("masks inputs equal to the end-of-document id under eod_mask_loss", () => {
    const s = new MicroBatchStream(source, { micro: 2, maskEod: 12 });
    const b = allocMicroBatch(2, T);
    s.next(b);
    expect([...b.mask]).toEqual([1, 1, 1, 1, 1, 1, 0, 1]); // input 12 at row 1, position 2
  });

  it("gives data-parallel rank r its slice of each global micro-batch", () => {
    const r1 = new MicroBatchStream(source, { micro: 2, dpRank: 1, dpSize: 2 });
    const b = allocMicroBatch(2, T);
    r1.next(b);
    expect(b.tokens[0]).toBe(20); // global micro-batch 0 = samples 0-3; rank 1 takes 2 and 3
    expect(b.tokens[4]).toBe(30);
    r1.next(b);
    expect(b.tokens[0]).toBe(60);
  });

  it("drops the last partial global micro-batch and starts over", () => {
    const s = new MicroBatchStream(source, { micro: 3 });
    expect(s.length).toBe(3); // 10 samples: 3 full micro-batches of 3
    const b = allocMicroBatch(3, T);
    for (let i = 0; i < 3; i++) s.next(b);
    expect(b.tokens[0]).toBe(60);
    s.next(b);
    expect(b.tokens[0]).toBe(0); // wrapped, as itertools.cycle does
    expect(() => new MicroBatchStream(source, { micro: 11 })).toThrow(
      "the dataset has 10 samples, fewer than one global micro-batch of 11",
    );
  });
});
