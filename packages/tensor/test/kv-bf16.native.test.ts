// A bf16 KV cache (KvCache dtype "bf16"): prefill segments (the per-segment path, keys widened
// into fp32 for attentionForward) and decode steps (attentionDecodeStep reading bf16) through
// segmentSelfAttention and cachedSelfAttention. Every call runs the same qkv through an fp32
// cache as well, so the bf16 cache's bits must be exactly the fp32 cache's k and v rounded to
// nearest even; and every output must equal a float64 recompute of the attention over the bf16
// values (the queries rotated in float64), so a prompt attends to the rounded K/V that its decode
// steps read later. fp32 K/V would miss that recompute by ~1e-3 (bf16 keeps 8 bits): the 1e-5
// bound separates the two.
import { describe, expect, it } from "vitest";
import {
  type AttentionShape,
  alibiSlopes,
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
  { name: "MHA interleaved, partial rotary, HS 64", s: { NH: 4, HS: 64, rotDim: 16 }, alibi: false },
  {
    name: "GQA blocked, full rotary, window 3",
    s: { NH: 4, NKV: 2, HS: 16, rotDim: 16, window: 3 },
    alibi: false,
  },
  { name: "MHA, ALiBi, no rotary, HS 12 (generic stretch)", s: { NH: 3, HS: 12, rotDim: 0 }, alibi: true },
];

const MAXT = 24;
const PROMPTS = [6, 1, 9]; // slot 1's one-token prompt takes the decode step inside the prefill call
const STEPS = 5;

/** fp32 values rounded to bf16 (nearest even; no NaN here), as values. */
function roundBf16(x: Float32Array): Float32Array {
  const u = new Uint32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
  for (let i = 0; i < u.length; i++) u[i] = ((u[i]! + 0x7fff + ((u[i]! >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(u.buffer);
}

/** bf16 bits as fp32 values (exact: bf16 is fp32's top half). */
function widen(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  return new Float32Array(u.buffer);
}

interface Geometry {
  NH: number;
  NKV: number;
  HS: number;
  width: number;
  rotDim: number;
  window: number;
  cos: Float32Array | null;
  sin: Float32Array | null;
  slopes: Float32Array | null;
}

// Float64 causal attention of one segment's T queries (qkv rows of the segment, positions at ..
// at + T - 1) over a slot's keys and values K, V ((at + T)·NKV·HS values, position-major).
function recompute(
  g: Geometry,
  qkv: Float32Array,
  at: number,
  K: Float32Array,
  V: Float32Array,
): Float64Array {
  const { NH, NKV, HS, rotDim } = g;
  const T = qkv.length / g.width;
  const half = rotDim / 2;
  const inter = NKV === NH;
  const out = new Float64Array(T * NH * HS);
  for (let t = 0; t < T; t++) {
    const p = at + t;
    const first = g.window >= 0 ? Math.max(0, p - g.window) : 0;
    for (let h = 0; h < NH; h++) {
      const q0 = t * g.width + (inter ? 3 * h * HS : h * HS);
      const q = Float64Array.from(qkv.subarray(q0, q0 + HS));
      for (let e = 0; e < half; e++) {
        const c = g.cos![p * half + e]!;
        const s = g.sin![p * half + e]!;
        const [x1, x2] = [q[e]!, q[e + half]!];
        q[e] = x1 * c - x2 * s;
        q[e + half] = x2 * c + x1 * s;
      }
      const kv = Math.floor(h / (NH / NKV));
      const scores: number[] = [];
      for (let j = first; j <= p; j++) {
        let dot = 0;
        for (let e = 0; e < HS; e++) dot += q[e]! * K[(j * NKV + kv) * HS + e]!;
        scores.push(dot / Math.sqrt(HS) - (g.slopes ? g.slopes[h]! * (p - j) : 0));
      }
      const m = Math.max(...scores);
      const w = scores.map((x) => Math.exp(x - m));
      const sum = w.reduce((a, b) => a + b, 0);
      for (let j = first; j <= p; j++)
        for (let e = 0; e < HS; e++)
          out[(t * NH + h) * HS + e]! += (w[j - first]! / sum) * V[(j * NKV + kv) * HS + e]!;
    }
  }
  return out;
}

function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  return d / scale;
}

function geometry(
  c: Case,
): Geometry & { tables: ReturnType<typeof rotaryTables> | null; slopeT: Tensor | null } {
  const NKV = c.s.NKV ?? c.s.NH;
  const tables = c.s.rotDim > 0 ? rotaryTables(MAXT, c.s.rotDim) : null;
  const slopeT = c.alibi ? alibiSlopes(c.s.NH) : null;
  return {
    NH: c.s.NH,
    NKV,
    HS: c.s.HS,
    width: (c.s.NH + 2 * NKV) * c.s.HS,
    rotDim: c.s.rotDim,
    window: c.s.window ?? -1,
    cos: tables ? tables.cos.toFloat32Array() : null,
    sin: tables ? tables.sin.toFloat32Array() : null,
    slopes: slopeT ? slopeT.toFloat32Array() : null,
    tables,
    slopeT,
  };
}

// The bf16 cache's k or v of one slot, positions 0 .. n - 1: its bits, and the fp32 cache's.
function cached(lowp: KvCache, full: KvCache, which: "k" | "v", slot: number, n: number) {
  const bits = scope(() => lowp.slot(which, slot, 0, n).toHost()) as Uint16Array;
  const f32 = scope(() => full.slot(which, slot, 0, n).toFloat32Array());
  return { bits, f32 };
}

describe("bf16 KV cache", () => {
  it("refuses a dtype it does not know", () => {
    expect(() => new KvCache(4, 1, 1, 16, "f16" as "bf16")).toThrow(
      /dtype must be "f32" or "bf16", got "f16"/,
    );
  });

  for (const c of CASES) {
    it(`${c.name}: segmentSelfAttention holds the rounded k/v and attends over them`, () => {
      const g = geometry(c);
      const C = g.NH * g.HS;
      const S = PROMPTS.length;
      const rand = rng(11);
      const pos = { rotary: g.tables, alibi: g.slopeT };
      const lowp = new KvCache(MAXT, S, g.NKV, g.HS, "bf16");
      const full = new KvCache(MAXT, S, g.NKV, g.HS);
      expect(lowp.k.dtype).toBe("bf16");
      const call = (segs: CacheSegment[], N: number) => {
        const qkv = randn(N * g.width, rand);
        const run = (cache: KvCache) =>
          noGrad(() =>
            scope(() =>
              segmentSelfAttention(
                Tensor.fromArray(qkv, [N, g.width]),
                c.s,
                segs,
                cache,
                pos,
              ).toFloat32Array(),
            ),
          );
        const at = segs.map((s) => lowp.lengths[s.slot]!);
        const got = run(lowp);
        run(full);
        for (const [i, s] of segs.entries()) {
          const n = at[i]! + s.T;
          const k = cached(lowp, full, "k", s.slot, n);
          const v = cached(lowp, full, "v", s.slot, n);
          // Exactly the fp32 k/v rounded: the cache bytes are what every later step reads.
          expect(widen(k.bits), `slot ${s.slot} k`).toEqual(roundBf16(k.f32));
          expect(widen(v.bits), `slot ${s.slot} v`).toEqual(roundBf16(v.f32));
          const want = recompute(
            g,
            qkv.subarray(s.row * g.width, (s.row + s.T) * g.width),
            at[i]!,
            widen(k.bits),
            widen(v.bits),
          );
          const rows = got.subarray(s.row * C, (s.row + s.T) * C);
          expect(maxRelDiff(rows, want), `slot ${s.slot} (T ${s.T}) out`).toBeLessThan(1e-5);
        }
      };
      let row = 0;
      const prefill = PROMPTS.map((T, slot) => {
        const s = { slot, row, T };
        row += T;
        return s;
      });
      call(prefill, row);
      for (let step = 0; step < STEPS; step++) {
        // Decode rows in reverse slot order with a spare row 0; on step 2 slot 2 takes a second
        // multi-token segment (a prefill after cached positions) beside the decode rows.
        const segs = PROMPTS.map((_, slot) => ({ slot, row: S - slot, T: 1 }));
        if (step === 2) segs[2] = { slot: 2, row: S + 1, T: 3 };
        call(segs, S + 4);
      }
      for (const cache of [lowp, full]) cache.dispose();
      for (const t of [g.tables?.cos, g.tables?.sin, g.slopeT]) t?.dispose();
    });
  }

  it("cachedSelfAttention (all slots together) over a bf16 cache", () => {
    const c = CASES[0]!;
    const g = geometry(c);
    const C = g.NH * g.HS;
    const B = 2;
    const rand = rng(5);
    const pos = { rotary: g.tables, alibi: g.slopeT };
    const lowp = new KvCache(MAXT, B, g.NKV, g.HS, "bf16");
    const full = new KvCache(MAXT, B, g.NKV, g.HS);
    for (const T of [4, 1, 3]) {
      const qkv = randn(B * T * g.width, rand);
      const at = lowp.length;
      const run = (cache: KvCache) =>
        noGrad(() =>
          scope(() =>
            cachedSelfAttention(
              Tensor.fromArray(qkv, [B * T, g.width]),
              { ...c.s, B, T },
              cache,
              pos,
            ).toFloat32Array(),
          ),
        );
      const got = run(lowp);
      run(full);
      for (let b = 0; b < B; b++) {
        const k = cached(lowp, full, "k", b, at + T);
        const v = cached(lowp, full, "v", b, at + T);
        expect(widen(k.bits)).toEqual(roundBf16(k.f32));
        expect(widen(v.bits)).toEqual(roundBf16(v.f32));
        const want = recompute(
          g,
          qkv.subarray(b * T * g.width, (b + 1) * T * g.width),
          at,
          widen(k.bits),
          widen(v.bits),
        );
        expect(maxRelDiff(got.subarray(b * T * C, (b + 1) * T * C), want)).toBeLessThan(1e-5);
      }
    }
    for (const cache of [lowp, full]) cache.dispose();
    for (const t of [g.tables?.cos, g.tables?.sin, g.slopeT]) t?.dispose();
  });
});
