// Attention with a key/value cache, for generation. The cache holds B sequences ("slots") of up to
// maxT positions each, slot-major (B, maxT, NKV, HS), so one slot's keys are one dense block that
// the kernel reads as a batch of one, and every slot has its own length.
// Two entry points:
//   cachedSelfAttention   B sequences advancing together (all slots the same length): the T new
//                         tokens of each sit at positions offset .. offset + T - 1.
//   segmentSelfAttention  rows of one flat batch, cut into segments that each extend one slot by
//                         their own count of tokens from that slot's own length: prefills of
//                         different prompts and single-token decode steps share the GEMMs around
//                         the attention (the inference engine's dynamic batching).
// Each call rotates the new q and k at their absolute positions, writes the new k and v into the
// cache, then runs the attention kernel with Tq new queries over Tk = offset + Tq cached keys.
// segmentSelfAttention hands every single-token segment (the decode steps) to one
// attentionDecodeStep launch that does all three per row; per-segment launches and views cost as
// much as the attention itself at batch 8. Prefill segments (T > 1) take the per-segment path.
// NH query heads, NKV kv heads, HS head size. Inference only: nothing is recorded (a cache is
// state that changes under the tape), so run it eagerly rather than in a plan.
// A bf16 cache (dtype "bf16", for models whose GEMMs run in bf16, as PyTorch's bf16 inference
// keeps its cache) halves the bytes a decode step reads: new k (after rotary) and v are rounded
// to bf16 as they are appended, and every path attends over the rounded values. The decode step
// widens them in registers; a prefill segment widens its slot's keys into a temporary fp32
// buffer (only prefills pay), so a prompt attends to the same K/V its later decode steps read.

import { needsGrad } from "../autograd/tape";
import { k } from "../kernels";
import { keep } from "../scope";
import { Tensor } from "../tensor";
import {
  type AttentionPositions,
  type AttentionShape,
  attentionDims,
  NO_ATTENTION_DROPOUT,
  qkvHeads,
  type ResolvedShape,
  resolveShape,
  rotate,
} from "./attention";
import { castInto, copyInto, dense } from "./basic";
import { decodeStep } from "./kv-decode-step";

/** The element type of a KV cache's k and v. */
export type KvCacheDtype = "f32" | "bf16";

export class KvCache {
  /** (B, maxT, NKV, HS), f32 or bf16 (the cache's dtype) */
  readonly k: Tensor;
  readonly v: Tensor;
  /** Positions filled per slot: the next call's position offset for that slot. */
  readonly lengths: Int32Array;
  /**
   * (3, B) i32: a decode step's qkv rows, slots and positions (the first R of each row), which
   * attentionDecodeStep reads. A buffer that outlives the step, so a recorded plan (Plan.record)
   * replays the launch and the host rewrites it between runs (writeDecodeIndex).
   */
  readonly decodeIndex: Tensor;

  constructor(
    readonly maxT: number,
    readonly B: number,
    readonly NKV: number,
    readonly HS: number,
    readonly dtype: KvCacheDtype = "f32",
  ) {
    if (dtype !== "f32" && dtype !== "bf16")
      throw new Error(`KV cache: dtype must be "f32" or "bf16", got ${JSON.stringify(dtype)}`);
    this.k = keep(Tensor.empty([B, maxT, NKV, HS], { dtype }));
    this.v = keep(Tensor.empty([B, maxT, NKV, HS], { dtype }));
    this.lengths = new Int32Array(B);
    this.decodeIndex = keep(Tensor.fromArray(new Int32Array(3 * B), [3, B], { dtype: "i32" }));
  }

  /** Writes R rows, slots and positions (R <= B) into decodeIndex. */
  writeDecodeIndex(rows: ArrayLike<number>, slots: ArrayLike<number>, positions: ArrayLike<number>): void {
    const R = rows.length;
    if (slots.length !== R || positions.length !== R || R > this.B)
      throw new Error(
        `KV cache: a decode index of ${R} rows, ${slots.length} slots and ${positions.length} positions (at most ${this.B} each, equal counts)`,
      );
    const host = new Int32Array(3 * this.B);
    for (let i = 0; i < R; i++) {
      host[i] = rows[i]!;
      host[this.B + i] = slots[i]!;
      host[2 * this.B + i] = positions[i]!;
    }
    this.decodeIndex.write(host);
  }

  /** The common length of all slots (they advance together under cachedSelfAttention). */
  get length(): number {
    const n = this.lengths[0] ?? 0;
    for (const l of this.lengths)
      if (l !== n)
        throw new Error(`KV cache: slots hold different lengths (${[...this.lengths].join(", ")})`);
    return n;
  }

  set length(n: number) {
    this.lengths.fill(n);
  }

  /** A (B, T, NKV, HS) view of positions from .. from + T - 1 of every slot's k or v. */
  positions(which: "k" | "v", from: number, T: number): Tensor {
    const t = which === "k" ? this.k : this.v;
    const row = this.NKV * this.HS;
    return new Tensor(
      t.storage,
      [this.B, T, this.NKV, this.HS],
      this.dtype,
      [this.maxT * row, row, this.HS, 1],
      t.offset + from * row,
    );
  }

  /** A dense (1, T, NKV, HS) view of positions from .. from + T - 1 of one slot's k or v. */
  slot(which: "k" | "v", slot: number, from: number, T: number): Tensor {
    const t = which === "k" ? this.k : this.v;
    const row = this.NKV * this.HS;
    return new Tensor(
      t.storage,
      [1, T, this.NKV, this.HS],
      this.dtype,
      undefined,
      t.offset + (slot * this.maxT + from) * row,
    );
  }

  /** Forget every position of one slot, or of all of them (a new sequence). */
  reset(slot?: number): void {
    if (slot === undefined) this.lengths.fill(0);
    else this.lengths[slot] = 0;
  }

  dispose(): void {
    this.k.dispose();
    this.v.dispose();
    this.decodeIndex.dispose();
  }
}

function checkFits(cache: KvCache, r: ResolvedShape, slot: number, T: number): void {
  if (cache.NKV !== r.NKV || cache.HS !== r.HS) {
    throw new Error(
      `attention: the KV cache holds (NKV ${cache.NKV}, HS ${cache.HS}); the call has (NKV ${r.NKV}, HS ${r.HS})`,
    );
  }
  if (!(slot >= 0 && slot < cache.B && Number.isInteger(slot)))
    throw new Error(`attention: KV cache slot ${slot} is not in [0, ${cache.B})`);
  const at = cache.lengths[slot]!;
  if (at + T > cache.maxT) {
    throw new Error(
      `attention: the KV cache holds ${cache.maxT} positions; ${at} cached + ${T} new do not fit (slot ${slot})`,
    );
  }
}

// Rotates (when rotDim > 0) and appends one slot's T new k and v rows ((1, T, NKV, HS) views) at
// `at`; returns the queries to attend with: rotated into `qOut` (a fresh buffer when not given)
// when rotary is on, else heads.q itself.
function appendSlot(
  cache: KvCache,
  slot: number,
  at: number,
  heads: { q: Tensor; k: Tensor; v: Tensor },
  r: ResolvedShape,
  pos: AttentionPositions,
  qOut?: Tensor,
): Tensor {
  const T = heads.q.size(1);
  const kNew = cache.slot("k", slot, at, T);
  const vNew = cache.slot("v", slot, at, T);
  // A bf16 cache: k and v are made in fp32 first, then rounded into the cache.
  const lowp = cache.dtype === "bf16";
  const device = heads.q.device;
  const kTo = lowp ? Tensor.empty([1, T, r.NKV, r.HS], { device }) : kNew;
  const vTo = lowp ? Tensor.empty([1, T, r.NKV, r.HS], { device }) : vNew;
  let q = heads.q;
  if (r.rotDim > 0) {
    q = qOut ?? Tensor.empty([1, T, r.NH, r.HS], { device });
    rotate("forward", q, heads.q, pos.rotary!, r.rotDim, at);
    rotate("forward", kTo, heads.k, pos.rotary!, r.rotDim, at);
  } else {
    copyInto(kTo, heads.k);
  }
  copyInto(vTo, heads.v);
  if (lowp) {
    castInto(kNew, kTo);
    castInto(vNew, vTo);
    kTo.dispose();
    vTo.dispose();
  }
  kNew.dispose();
  vNew.dispose();
  return q;
}

// Positions 0 .. Tk - 1 of slots `slots` of a bf16 cache's k or v, widened into a dense fp32
// (slots.length, Tk, NKV, HS) buffer for the attention kernel (exact: bf16 is fp32's top half).
function widened(cache: KvCache, which: "k" | "v", slots: readonly number[], Tk: number): Tensor {
  const device = cache.k.device;
  const out = Tensor.empty([slots.length, Tk, cache.NKV, cache.HS], { device });
  for (const [i, slot] of slots.entries()) {
    const src = cache.slot(which, slot, 0, Tk);
    const dst = out.narrow(0, i, 1);
    castInto(dst, src);
    src.dispose();
    dst.dispose();
  }
  return out;
}

// The attention kernel for q (B, Tq, NH, HS) over k/v views (B, Tk, NKV, HS), into out (B·Tq rows).
function attend(
  out: Tensor,
  q: Tensor,
  kAll: Tensor,
  vAll: Tensor,
  r: ResolvedShape,
  pos: AttentionPositions,
): void {
  const lse = Tensor.empty([q.size(0), r.NH, q.size(1)], { device: q.device });
  k.attentionForward(q.backend, {
    out,
    lse,
    q,
    k: kAll,
    v: vAll,
    slopes: pos.alibi ?? null,
    ...attentionDims(q, kAll, vAll, r),
    ...NO_ATTENTION_DROPOUT,
  });
  lse.dispose();
}

function checkInference(qkv: Tensor, r: ResolvedShape, pos: AttentionPositions): void {
  if (needsGrad([qkv])) throw new Error("attention with a KV cache is inference only: run it under noGrad()");
  if (r.rotDim > 0 && !pos.rotary) throw new Error("attention: rotDim > 0 needs rotary tables");
}

/**
 * causalSelfAttention for T new tokens after `cache.length` cached ones in every slot (qkv (B·T, W)
 * in the shape's layout, B = the cache's slot count); appends their k and v. Returns (B·T, NH·HS).
 */
export function cachedSelfAttention(
  qkv: Tensor,
  s: AttentionShape,
  cache: KvCache,
  pos: AttentionPositions = {},
): Tensor {
  const r = resolveShape(s);
  checkInference(qkv, r, pos);
  if (qkv.numel !== r.B * r.T * r.width)
    throw new Error(`attention: qkv ${qkv} is not (B·T, (NH + 2·NKV)·HS) = (${r.B * r.T}, ${r.width})`);
  if (cache.B !== r.B)
    throw new Error(`attention: the KV cache holds ${cache.B} sequences; the call has B ${r.B}`);
  const offset = cache.length;
  for (let b = 0; b < r.B; b++) checkFits(cache, r, b, r.T);
  const src = dense(qkv);
  const all = qkvHeads(src, r);
  const Tk = offset + r.T;
  let q = all.q;
  if (r.rotDim > 0) q = Tensor.empty([r.B, r.T, r.NH, r.HS], { device: qkv.device });
  for (let b = 0; b < r.B; b++) {
    const one = { q: all.q.narrow(0, b, 1), k: all.k.narrow(0, b, 1), v: all.v.narrow(0, b, 1) };
    const qb = r.rotDim > 0 ? q.narrow(0, b, 1) : undefined; // rotated straight into the batch's q
    appendSlot(cache, b, offset, one, r, pos, qb);
    for (const t of [one.q, one.k, one.v, qb]) t?.dispose();
  }
  cache.length = Tk;
  const every = Array.from({ length: r.B }, (_, b) => b);
  const lowp = cache.dtype === "bf16";
  const kAll = lowp ? widened(cache, "k", every, Tk) : cache.positions("k", 0, Tk);
  const vAll = lowp ? widened(cache, "v", every, Tk) : cache.positions("v", 0, Tk);
  const out = Tensor.empty([r.B * r.T, r.NH * r.HS], { device: qkv.device });
  attend(out, q, kAll, vAll, r, pos);
  for (const t of new Set([q, all.q, all.k, all.v, kAll, vAll])) t.dispose();
  if (src !== qkv) src.dispose();
  return out;
}

/** One segment of a flat batch: `T` rows from `row` extend cache slot `slot`. */
export interface CacheSegment {
  slot: number;
  row: number;
  T: number;
}

/**
 * qkv (N, W) rows in the shape's layout (s.B and s.T are ignored), cut into segments; each segment's
 * rows are that slot's next tokens, at positions lengths[slot] .. + T - 1, and attend to the slot's
 * cached keys and to each other causally. Appends their k and v. Returns (N, NH·HS); rows that no
 * segment covers are left unwritten.
 */
export function segmentSelfAttention(
  qkv: Tensor,
  s: Omit<AttentionShape, "B" | "T">,
  segments: readonly CacheSegment[],
  cache: KvCache,
  pos: AttentionPositions = {},
): Tensor {
  const shape = resolveShape({ ...s, B: 1, T: 1 });
  checkInference(qkv, shape, pos);
  const N = qkv.numel / shape.width;
  if (!Number.isInteger(N) || qkv.size(-1) !== shape.width)
    throw new Error(`attention: qkv ${qkv} rows are not (NH + 2·NKV)·HS = ${shape.width} wide`);
  const seen = new Set<number>();
  for (const g of segments) {
    if (!(g.T >= 1 && g.row >= 0 && g.row + g.T <= N))
      throw new Error(`attention: segment rows ${g.row} .. ${g.row + g.T - 1} are outside the ${N} rows`);
    if (seen.has(g.slot)) throw new Error(`attention: slot ${g.slot} appears in two segments of one call`);
    seen.add(g.slot);
    checkFits(cache, shape, g.slot, g.T);
  }
  const src = dense(qkv);
  const C = shape.NH * shape.HS;
  const out = Tensor.empty([N, C], { device: qkv.device });
  const fused = src.backend.hasKernel("attentionDecodeStep");
  if (fused) decodeStep(out, src, shape, segments, cache, pos);
  for (const g of segments) {
    if (fused && g.T === 1) continue;
    const r = { ...shape, T: g.T };
    const rows = new Tensor(
      src.storage,
      [g.T, shape.width],
      "f32",
      undefined,
      src.offset + g.row * shape.width,
    );
    const heads = qkvHeads(rows, r);
    const at = cache.lengths[g.slot]!;
    const q = appendSlot(cache, g.slot, at, heads, r, pos);
    cache.lengths[g.slot] = at + g.T;
    const lowp = cache.dtype === "bf16";
    const kAll = lowp ? widened(cache, "k", [g.slot], at + g.T) : cache.slot("k", g.slot, 0, at + g.T);
    const vAll = lowp ? widened(cache, "v", [g.slot], at + g.T) : cache.slot("v", g.slot, 0, at + g.T);
    const o = new Tensor(out.storage, [g.T, C], "f32", undefined, out.offset + g.row * C);
    attend(o, q, kAll, vAll, r, pos);
    for (const t of new Set([q, heads.q, heads.k, heads.v, rows, kAll, vAll, o])) t.dispose();
  }
  if (src !== qkv) src.dispose();
  return out;
}
