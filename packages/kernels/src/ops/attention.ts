// Fused causal attention (flash style) on native memory; see kernels/cpu/attention.h for the
// algorithm and conventions. B batch, Tq queries, Tk keys (Tk >= Tq: the queries are the last Tq
// positions), NH query heads, NKV kv heads (GQA/MQA when NKV < NH), HS head size.
// q is (B, Tq, NH, HS) and k, v are (B, Tk, NKV, HS), each at any strides with a contiguous head
// dimension; out/dout are dense (B, Tq, NH, HS); lse is (B, NH, Tq) fp32; dq/dk/dv are written at
// the strides of q/k/v. Addresses are native pointers (numbers) to fp32 data, or bf16 data for
// the *Bf16 variants (fp32 arithmetic, each output rounded to bf16 once).
// An optional dropout on the probabilities (GPT-NeoX attention_dropout) takes (p, seed, offset):
// element (b, h, i, j) keeps when the dropout kernel's uniform(seed, offset + ((b·NH + h)·Tq + i)·Tk
// + j) >= p, so the mask is dropoutForward's on the dense (B, NH, Tq, Tk) probabilities; the
// backward takes the same three numbers and regenerates it.
import { nativeFunction } from "../loader";

/** Element strides of a (B, T, H, HS) view whose head dimension is contiguous. */
export interface HeadStrides {
  b: number;
  t: number;
  h: number;
}

export interface AttentionShape {
  B: number;
  Tq: number;
  /** Keys; defaults to Tq (training). */
  Tk?: number;
  NH: number;
  /** kv heads; defaults to NH (MHA). */
  NKV?: number;
  HS: number;
  /** GPT-NeoX sliding_window_width: query i sees keys i - window..i; omit or < 0 for none. */
  window?: number;
  /** Defaults to 1 / sqrt(HS). */
  scale?: number;
  /** Strides of q / dq; default dense (B, Tq, NH, HS). */
  q?: HeadStrides;
  /** Strides of k / dk; default dense (B, Tk, NKV, HS). */
  k?: HeadStrides;
  /** Strides of v / dv; default dense (B, Tk, NKV, HS). */
  v?: HeadStrides;
}

/** Strides of a dense (B, T, H, HS) tensor. */
export function denseHeadStrides(T: number, H: number, HS: number): HeadStrides {
  return { b: T * H * HS, t: H * HS, h: HS };
}

/** Element offsets and strides of q, k, v inside one fused QKV projection output (B, T, width). */
export interface QkvViews {
  width: number;
  offsets: { q: number; k: number; v: number };
  q: HeadStrides;
  k: HeadStrides;
  v: HeadStrides;
}

/**
 * The q/k/v views of a fused QKV output, as GPT-NeoX lays it out (neox-spec §1.1): MHA (NKV == NH)
 * interleaves per head [q_h | k_h | v_h] (view [s, b, NH, 3·HS]); GQA is blocked per token
 * [NH·HS | NKV·HS | NKV·HS].
 */
export function qkvViews(T: number, NH: number, NKV: number, HS: number): QkvViews {
  if (NKV === NH) {
    const width = 3 * NH * HS;
    const s = { b: T * width, t: width, h: 3 * HS };
    return { width, offsets: { q: 0, k: HS, v: 2 * HS }, q: s, k: s, v: s };
  }
  const width = (NH + 2 * NKV) * HS;
  const s = { b: T * width, t: width, h: HS };
  return { width, offsets: { q: 0, k: NH * HS, v: (NH + NKV) * HS }, q: s, k: s, v: s };
}

/** Dropout on the attention probabilities; the call uses counters offset .. offset + B·NH·Tq·Tk - 1. */
export interface AttentionDropout {
  /** Drop probability in [0, 1); 0 runs the kernels exactly as without dropout. */
  p: number;
  /** Integer in [0, 2^53). */
  seed: number;
  /** Integer in [0, 2^53): the counter of element (0, 0, 0, 0). */
  offset: number;
}

const NO_DROPOUT: AttentionDropout = { p: 0, seed: 0, offset: 0 };

type Native = (...args: number[]) => void;

function dropoutArgs(d: AttentionDropout | undefined): number[] {
  const { p, seed, offset } = d ?? NO_DROPOUT;
  return [p, seed, offset];
}

function shapeArgs(s: AttentionShape): number[] {
  const Tk = s.Tk ?? s.Tq;
  const NKV = s.NKV ?? s.NH;
  const q = s.q ?? denseHeadStrides(s.Tq, s.NH, s.HS);
  const k = s.k ?? denseHeadStrides(Tk, NKV, s.HS);
  const v = s.v ?? denseHeadStrides(Tk, NKV, s.HS);
  return [
    s.B,
    s.Tq,
    Tk,
    s.NH,
    NKV,
    s.HS,
    q.b,
    q.t,
    q.h,
    k.b,
    k.t,
    k.h,
    v.b,
    v.t,
    v.h,
    s.window ?? -1,
    s.scale ?? 1 / Math.sqrt(s.HS),
  ];
}

/** out = softmax(scale·q·kᵀ + ALiBi, causal/window mask)·v; saves lse. slopes: NH floats or 0. */
export function attentionForward(
  out: number,
  lse: number,
  q: number,
  k: number,
  v: number,
  slopes: number,
  shape: AttentionShape,
  dropout?: AttentionDropout,
): void {
  nativeFunction<Native>("attentionForward")(
    out,
    lse,
    q,
    k,
    v,
    slopes,
    ...shapeArgs(shape),
    ...dropoutArgs(dropout),
  );
}

/**
 * Gradients of attentionForward (overwrites dq, dk, dv), from the forward's out and lse; with
 * dropout, the forward's (p, seed, offset).
 */
export function attentionBackward(
  dq: number,
  dk: number,
  dv: number,
  dout: number,
  q: number,
  k: number,
  v: number,
  out: number,
  lse: number,
  slopes: number,
  shape: AttentionShape,
  dropout?: AttentionDropout,
): void {
  nativeFunction<Native>("attentionBackward")(
    dq,
    dk,
    dv,
    dout,
    q,
    k,
    v,
    out,
    lse,
    slopes,
    ...shapeArgs(shape),
    ...dropoutArgs(dropout),
  );
}

/** attentionForward with bf16 (raw bits) q, k, v and out; lse and slopes fp32, math in fp32. */
export function attentionForwardBf16(
  out: number,
  lse: number,
  q: number,
  k: number,
  v: number,
  slopes: number,
  shape: AttentionShape,
  dropout?: AttentionDropout,
): void {
  nativeFunction<Native>("attentionForwardBf16")(
    out,
    lse,
    q,
    k,
    v,
    slopes,
    ...shapeArgs(shape),
    ...dropoutArgs(dropout),
  );
}

/** attentionBackward with bf16 dq, dk, dv, dout, q, k, v, out; lse and slopes fp32. */
export function attentionBackwardBf16(
  dq: number,
  dk: number,
  dv: number,
  dout: number,
  q: number,
  k: number,
  v: number,
  out: number,
  lse: number,
  slopes: number,
  shape: AttentionShape,
  dropout?: AttentionDropout,
): void {
  nativeFunction<Native>("attentionBackwardBf16")(
    dq,
    dk,
    dv,
    dout,
    q,
    k,
    v,
    out,
    lse,
    slopes,
    ...shapeArgs(shape),
    ...dropoutArgs(dropout),
  );
}
