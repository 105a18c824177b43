// segmentSelfAttention's fused decode step (one attentionDecodeStep launch for every single-token
// segment) against the per-segment path it replaces: each slot also runs alone through its own
// one-slot cache with cachedSelfAttention (rotate, append, attentionForward per call). Outputs
// and cache contents must agree to fp32 rounding, for prefills mixed with decode rows, rows in any
// order and rows no segment covers; the checks of the per-segment path still hold. Also the
// argmaxRows op.
import { describe, expect, it } from "vitest";
import {
  type AttentionShape,
  alibiSlopes,
  argmaxRows,
  type CacheSegment,
  cachedSelfAttention,
  KvCache,
  noGrad,
  rotaryTables,
  scope,
  segmentSelfAttention,
  Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

type Shape = Omit<AttentionShape, "B" | "T">;
interface Case {
  name: string;
  s: Shape;
  alibi: boolean;
}
const CASES: Case[] = [
  { name: "GPT-NeoX MHA interleaved, partial rotary", s: { NH: 4, HS: 16, rotDim: 4 }, alibi: false },
  {
    name: "GQA blocked, full rotary, window 3",
    s: { NH: 4, NKV: 2, HS: 16, rotDim: 16, window: 3 },
    alibi: false,
  },
  { name: "MHA, ALiBi, no rotary, HS 12", s: { NH: 3, HS: 12, rotDim: 0 }, alibi: true },
];

const MAXT = 16;
const PROMPTS = [5, 1, 7]; // slot 1's one-token prompt takes the fused path inside the prefill call
const STEPS = 4;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe("segmentSelfAttention: single-token segments in one fused launch", () => {
  for (const c of CASES) {
    it(`${c.name}: equals each slot alone through cachedSelfAttention`, () => {
      const NKV = c.s.NKV ?? c.s.NH;
      const width = (c.s.NH + 2 * NKV) * c.s.HS;
      const C = c.s.NH * c.s.HS;
      const S = PROMPTS.length;
      const rand = rng(7);
      const tables = c.s.rotDim > 0 ? rotaryTables(MAXT, c.s.rotDim) : null;
      const slopes = c.alibi ? alibiSlopes(c.s.NH) : null;
      const pos = { rotary: tables, alibi: slopes };
      const cache = new KvCache(MAXT, S, NKV, c.s.HS);
      const alone = PROMPTS.map(() => new KvCache(MAXT, 1, NKV, c.s.HS));
      // One call: rows and segments of the batch; every slot's rows also go through its own cache.
      const call = (segs: CacheSegment[], N: number) => {
        const qkv = randn(N * width, rand);
        const got = noGrad(() =>
          scope(() =>
            segmentSelfAttention(Tensor.fromArray(qkv, [N, width]), c.s, segs, cache, pos).toFloat32Array(),
          ),
        );
        for (const g of segs) {
          const want = noGrad(() =>
            scope(() =>
              cachedSelfAttention(
                Tensor.fromArray(qkv.subarray(g.row * width, (g.row + g.T) * width), [g.T, width]),
                { ...c.s, B: 1, T: g.T },
                alone[g.slot]!,
                pos,
              ).toFloat32Array(),
            ),
          );
          const rows = got.subarray(g.row * C, (g.row + g.T) * C);
          expect(maxDiff(rows, want), `slot ${g.slot} out`).toBeLessThan(1e-5);
        }
      };
      let row = 0;
      const prefill = PROMPTS.map((T, slot) => {
        const g = { slot, row, T };
        row += T;
        return g;
      });
      call(prefill, row);
      for (let step = 0; step < STEPS; step++) {
        // Rows in reverse slot order with a spare row 0 that no segment covers; on the last step
        // slot 0 sits out.
        const segs = PROMPTS.map((_, slot) => ({ slot, row: S - slot, T: 1 })).filter(
          (g) => step < STEPS - 1 || g.slot !== 0,
        );
        call(segs, S + 1);
      }
      for (let slot = 0; slot < S; slot++) {
        const n = PROMPTS[slot]! + (slot === 0 ? STEPS - 1 : STEPS);
        expect(cache.lengths[slot]).toBe(n);
        expect(alone[slot]!.lengths[0]).toBe(n);
        for (const which of ["k", "v"] as const) {
          const a = scope(() => cache.slot(which, slot, 0, n).toFloat32Array());
          const b = scope(() => alone[slot]!.slot(which, 0, 0, n).toFloat32Array());
          expect(maxDiff(a, b), `slot ${slot} cache ${which}`).toBeLessThan(1e-6);
        }
      }
      cache.dispose();
      for (const a of alone) a.dispose();
      for (const t of [tables?.cos, tables?.sin, slopes]) t?.dispose();
    });
  }

  it("keeps the per-segment checks: a slot twice, a full slot, rows outside qkv", () => {
    const s: Shape = { NH: 2, HS: 16, rotDim: 16 };
    const width = 6 * 16;
    const tables = rotaryTables(4, 16);
    const cache = new KvCache(3, 2, 2, 16);
    const run = (segs: CacheSegment[], N = 2) =>
      noGrad(() =>
        scope(() => {
          segmentSelfAttention(Tensor.fromArray(new Float32Array(N * width), [N, width]), s, segs, cache, {
            rotary: tables,
          });
        }),
      );
    expect(() =>
      run([
        { slot: 1, row: 0, T: 1 },
        { slot: 1, row: 1, T: 1 },
      ]),
    ).toThrow(/slot 1 appears in two segments/);
    expect(() => run([{ slot: 2, row: 0, T: 1 }])).toThrow(/slot 2 is not in \[0, 2\)/);
    expect(() => run([{ slot: 0, row: 2, T: 1 }])).toThrow(/outside the 2 rows/);
    for (let i = 0; i < 3; i++) run([{ slot: 0, row: 0, T: 1 }]);
    expect(cache.lengths[0]).toBe(3);
    expect(() => run([{ slot: 0, row: 0, T: 1 }])).toThrow(/holds 3 positions; 3 cached \+ 1 new do not fit/);
    expect(cache.lengths[0]).toBe(3);
    // Rotary tables shorter than the cache: refused before anything is written.
    const short = rotaryTables(1, 16);
    expect(() =>
      noGrad(() =>
        scope(() => {
          segmentSelfAttention(
            Tensor.fromArray(new Float32Array(width), [1, width]),
            s,
            [{ slot: 1, row: 0, T: 1 }],
            cache,
            {
              rotary: { cos: short.cos, sin: short.sin },
            },
          );
          segmentSelfAttention(
            Tensor.fromArray(new Float32Array(width), [1, width]),
            s,
            [{ slot: 1, row: 0, T: 1 }],
            cache,
            {
              rotary: { cos: short.cos, sin: short.sin },
            },
          );
        }),
      ),
    ).toThrow(/rotary tables hold 1 positions; positions up to 2 are needed/);
    expect(cache.lengths[1]).toBe(1);
    cache.dispose();
    for (const t of [tables.cos, tables.sin, short.cos, short.sin]) t.dispose();
  });
});

describe("argmaxRows", () => {
  it("the first maximum of each row, NaN skipped, any leading shape", () => {
    const V = 37;
    const rand = rng(3);
    const x = randn(2 * 3 * V, rand);
    x[V + 5] = 9; // row 1: a tie at 5 and 30, the first wins
    x[V + 30] = 9;
    x[2 * V] = Number.NaN; // row 2: NaN first, then the max at 11
    x[2 * V + 11] = 50;
    const want = Array.from({ length: 6 }, (_, r) => {
      let best = -1;
      for (let c = 0; c < V; c++) {
        const v = x[r * V + c]!;
        if (!Number.isNaN(v) && (best < 0 || v > x[r * V + best]!)) best = c;
      }
      return best;
    });
    expect(want[1]).toBe(5);
    expect(want[2]).toBe(11);
    const got = scope(() => argmaxRows(Tensor.fromArray(x, [2, 3, V])));
    expect(got).toBeInstanceOf(Int32Array);
    expect([...got]).toEqual(want);
    // a strided view is made dense first: column 0..V-1 of a wider matrix
    const wide = scope(() => argmaxRows(Tensor.fromArray(x, [6, V]).narrow(1, 0, 10)));
    expect([...wide]).toEqual(
      Array.from({ length: 6 }, (_, r) => {
        const row = [...x.subarray(r * V, r * V + 10)];
        const m = Math.max(...row.filter((v) => !Number.isNaN(v)));
        return row.indexOf(m);
      }),
    );
  });
});
