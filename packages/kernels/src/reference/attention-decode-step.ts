// Float64 reference for one fused decode step (kernels/cpu/attention-decode-step.cc): R
// single-token rows of a flat fused-QKV batch, each appended to its own slot of a slot-major KV
// cache and attending to that slot's keys, written the plain way (rotate, append, full score
// row, two-pass softmax). The score and mask rules are reference/attention.ts's; the rotation is
// reference/rotary.ts's at the row's position.
// With cacheBf16 the appended k and v are what the kernel stores: k rotated in fp32 arithmetic
// (each product and the sum rounded to fp32, as the kernel's scalar rotate does), then each value
// rounded once to bf16 (nearest even); the caches hold those bf16 values, and the attention reads
// them as they are (exact in float64).

import { bf16ToF64, f64ToBf16 } from "./convert";

export interface DecodeStepDims {
  /** qkv row width; q of head h at q0 + h·qStrideH, k/v of kv head g at k0/v0 + g·k/vStrideH. */
  W: number;
  NH: number;
  NKV: number;
  HS: number;
  qOffset: number;
  kOffset: number;
  vOffset: number;
  qStrideH: number;
  kStrideH: number;
  vStrideH: number;
  /** Cache slots and positions per slot: caches are (S, maxT, NKV, HS). */
  S: number;
  maxT: number;
  /** Rotary channels per head (0: no rotary); tables are (nPos, rotDim/2). */
  rotDim: number;
  /** GPT-NeoX sliding window (window + 1 keys visible), < 0 for none. */
  window: number;
  scale: number;
  /** The caches hold bf16 values: appends are rounded as the kernel rounds them. */
  cacheBf16?: boolean;
}

/** x (an fp32 value) rounded to the nearest bf16 value, ties to even. */
const toBf16 = (x: number): number => bf16ToF64(f64ToBf16(x));

/** Rows `rows[r]` of qkv extend slot `slots[r]` at position `positions[r]`; out is (N, NH·HS). */
export function attentionDecodeStep(
  out: Float64Array,
  cacheK: Float64Array,
  cacheV: Float64Array,
  qkv: Float64Array,
  rows: ArrayLike<number>,
  slots: ArrayLike<number>,
  positions: ArrayLike<number>,
  cos: Float64Array | null,
  sin: Float64Array | null,
  slopes: Float64Array | null,
  d: DecodeStepDims,
): void {
  const { NH, NKV, HS } = d;
  const G = NH / NKV;
  const half = d.rotDim / 2;
  const rotated = (x: Float64Array, p: number): Float64Array => {
    const y = Float64Array.from(x);
    for (let e = 0; e < half; e++) {
      const c = cos![p * half + e]!;
      const s = sin![p * half + e]!;
      y[e] = x[e]! * c - x[e + half]! * s;
      y[e + half] = x[e + half]! * c + x[e]! * s;
    }
    return y;
  };
  // The kernel's fp32 rotation, every operation rounded to fp32 (a bf16 cache rounds its result).
  const rotatedF32 = (x: Float64Array, p: number): Float64Array => {
    const y = Float64Array.from(x);
    const f = Math.fround;
    for (let e = 0; e < half; e++) {
      const c = cos![p * half + e]!;
      const s = sin![p * half + e]!;
      y[e] = f(f(x[e]! * c) - f(x[e + half]! * s));
      y[e + half] = f(f(x[e + half]! * c) + f(x[e]! * s));
    }
    return y;
  };
  const stored = (x: Float64Array): Float64Array => (d.cacheBf16 ? x.map(toBf16) : x);
  const rotatedK = d.cacheBf16 ? rotatedF32 : rotated;
  const head = (row: number, off: number) => qkv.subarray(row * d.W + off, row * d.W + off + HS);
  const at = (slot: number, t: number, g: number) => ((slot * d.maxT + t) * NKV + g) * HS;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const slot = slots[r]!;
    const p = positions[r]!;
    for (let g = 0; g < NKV; g++) {
      cacheK.set(stored(rotatedK(head(row, d.kOffset + g * d.kStrideH), p)), at(slot, p, g));
      cacheV.set(stored(head(row, d.vOffset + g * d.vStrideH)), at(slot, p, g));
    }
    const first = d.window >= 0 ? Math.max(0, p - d.window) : 0;
    for (let h = 0; h < NH; h++) {
      const g = Math.floor(h / G);
      const q = rotated(head(row, d.qOffset + h * d.qStrideH), p);
      const s: number[] = [];
      for (let j = first; j <= p; j++) {
        let dot = 0;
        for (let e = 0; e < HS; e++) dot += q[e]! * cacheK[at(slot, j, g) + e]!;
        // GPT-NeoX ALiBi: bias -(i - j)·slope_h
        s.push(dot * d.scale - (slopes ? slopes[h]! * (p - j) : 0));
      }
      const max = Math.max(...s);
      const w = s.map((x) => Math.exp(x - max));
      const sum = w.reduce((a, b) => a + b, 0);
      const o = row * NH * HS + h * HS;
      for (let e = 0; e < HS; e++) out[o + e] = 0;
      for (let j = first; j <= p; j++) {
        const pj = w[j - first]! / sum;
        for (let e = 0; e < HS; e++) out[o + e]! += pj * cacheV[at(slot, j, g) + e]!;
      }
    }
  }
}
