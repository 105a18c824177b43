// Fused causal attention, rotary embedding and ALiBi slopes (kernels/cpu/attention.h, rotary.h,
// alibi.h). B batch, Tq queries (the last Tq of Tk positions), Tk keys, NH query heads, NKV kv
// heads, HS head size. q is (B, Tq, NH, HS) and k, v (B, Tk, NKV, HS) at any element strides
// (b, t, h) with a contiguous head dimension; out is dense (B, Tq, NH, HS), lse (B, NH, Tq).
// Dropout on the probabilities (attention.h) takes p, seed and offset last; p = 0 for none.

import { declareKernels, type Signature } from "./kernel";

/** Sizes, strides and options shared by the attention kernels, in native order. */
export const ATTENTION_DIMS = {
  B: "size",
  Tq: "size",
  Tk: "size",
  NH: "size",
  NKV: "size",
  HS: "size",
  qStrideB: "size",
  qStrideT: "size",
  qStrideH: "size",
  kStrideB: "size",
  kStrideT: "size",
  kStrideH: "size",
  vStrideB: "size",
  vStrideT: "size",
  vStrideH: "size",
  /** GPT-NeoX sliding_window_width: query i sees keys i - window .. i; -1 for none */
  window: "int",
  scale: "scalar",
} as const satisfies Signature;

/**
 * Dropout on the attention probabilities: element (b, h, i, j) keeps when the dropout kernel's
 * uniform(seed, offset + ((b·NH + h)·Tq + i)·Tk + j) >= p; backward regenerates the same mask.
 * Scalars, so a plan re-reads the seed and offset on every replay.
 */
export const ATTENTION_DROPOUT = {
  /** drop probability in [0, 1); 0 runs the kernel exactly as without dropout */
  dropoutP: "scalar",
  seed: "scalar",
  offset: "scalar",
} as const satisfies Signature;

/** Rotary sizes: the table holds rows posOffset .. posOffset + T - 1 at least. */
const ROTARY_DIMS = {
  B: "size",
  T: "size",
  NH: "size",
  HS: "size",
  rotDim: "size",
  posOffset: "size",
} as const satisfies Signature;

export const ATTENTION = declareKernels({
  /** out = softmax(scale·q·kᵀ + ALiBi, causal/window mask)·v; slopes (NH) or null */
  attentionForward: {
    out: "out f32",
    lse: "out f32",
    q: "in f32",
    k: "in f32",
    v: "in f32",
    slopes: "in? f32",
    ...ATTENTION_DIMS,
    ...ATTENTION_DROPOUT,
  },
  /** dq, dk, dv at the strides of q, k, v, overwritten (dk/dv summed over a kv head's queries) */
  attentionBackward: {
    dq: "out f32",
    dk: "out f32",
    dv: "out f32",
    dout: "in f32",
    q: "in f32",
    k: "in f32",
    v: "in f32",
    out: "in f32",
    lse: "in f32",
    slopes: "in? f32",
    ...ATTENTION_DIMS,
    ...ATTENTION_DROPOUT,
  },
  /**
   * One decode step of R single-token rows of a flat qkv batch (N, W): row rows[r] is rotated
   * (cos/sin (nPos, rotDim/2) or null with rotDim 0), its k/v written into cache slot slots[r] at
   * position positions[r] (caches (S, maxT, NKV, HS)), and its NH queries attend to that slot's
   * keys 0 .. positions[r] (window), into out row rows[r] (N, NH·HS); other rows untouched. q of
   * head h sits at qOffset + h·qStrideH in a qkv row, k/v of kv head g at k/vOffset + g·k/vStrideH.
   * The caches are f32, or bf16 with cacheBf16 (new k and v rounded to nearest even as they are
   * appended, cached ones widened as they are read); the caller checks the dtype against the flag.
   */
  attentionDecodeStep: {
    out: "out f32",
    cacheK: "inout bytes",
    cacheV: "inout bytes",
    qkv: "in f32",
    rows: "in i32",
    slots: "in i32",
    positions: "in i32",
    cos: "in? f32",
    sin: "in? f32",
    slopes: "in? f32",
    R: "size",
    N: "size",
    W: "size",
    NH: "size",
    NKV: "size",
    HS: "size",
    qOffset: "size",
    kOffset: "size",
    vOffset: "size",
    qStrideH: "size",
    kStrideH: "size",
    vStrideH: "size",
    S: "size",
    maxT: "size",
    nPos: "size",
    rotDim: "size",
    window: "int",
    scale: "scalar",
    cacheBf16: "flag",
  },
  /** cos/sin (nPos, rotDim/2), angles built in fp32 as GPT-NeoX builds them */
  rotaryTable: { cos: "out f32", sin: "out f32", nPos: "size", rotDim: "size", base: "scalar" },
  /** rotate-half RoPE on the first rotDim channels of each head; out may be inp */
  rotaryForward: {
    out: "out f32",
    inp: "in f32",
    cos: "in f32",
    sin: "in f32",
    ...ROTARY_DIMS,
    outStrideB: "size",
    outStrideT: "size",
    outStrideH: "size",
    inpStrideB: "size",
    inpStrideT: "size",
    inpStrideH: "size",
  },
  /** the transposed rotation; dinp may be dout */
  rotaryBackward: {
    dinp: "out f32",
    dout: "in f32",
    cos: "in f32",
    sin: "in f32",
    ...ROTARY_DIMS,
    dinpStrideB: "size",
    dinpStrideT: "size",
    dinpStrideH: "size",
    doutStrideB: "size",
    doutStrideT: "size",
    doutStrideH: "size",
  },
  /** GPT-NeoX's ALiBi slopes for NH heads (non-powers of two included) */
  alibiSlopes: { slopes: "out f32", NH: "size" },
});
