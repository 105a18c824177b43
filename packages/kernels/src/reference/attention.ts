// Float64 reference for causal attention with GQA/MQA, sliding window and ALiBi: the twin of
// kernels/cpu/attention.cc and attention-backward.cc, written the plain way (full score rows,
// two-pass softmax).
// B batch, Tq queries (the last Tq of Tk positions), Tk keys, NH query heads, NKV kv heads
// (query head h uses kv head floor(h / (NH / NKV))), HS head size.
// Layouts are dense: q, out, dout, dq (B, Tq, NH, HS); k, v, dk, dv (B, Tk, NKV, HS);
// lse (B, NH, Tq). Key j is visible to the query at absolute position i iff j <= i and, with
// window >= 0, j >= i - window (GPT-NeoX sliding_window_width).
// Dropout on the probabilities (kernels/cpu/attention.h): out = (P∘M/(1-p))·V with the keep mask
// of the dropout kernel at counter offset + ((b·NH + h)·Tq + i)·Tk + j (reference/dropout.ts).

import { dropoutKeep } from "./dropout";

export interface AttentionDims {
  B: number;
  Tq: number;
  Tk: number;
  NH: number;
  NKV: number;
  HS: number;
  /** Sliding window width (GPT-NeoX convention: window + 1 keys visible), < 0 for none. */
  window: number;
  /** Score scale, normally 1 / sqrt(HS). */
  scale: number;
}

export interface AttentionDropout {
  /** Drop probability in [0, 1). */
  p: number;
  seed: number;
  offset: number;
}

/** M/(1-p) for element (b, h, i, j): 1/(1-p) where kept, 0 where dropped; 1 without dropout. */
export function attentionDropoutWeight(
  drop: AttentionDropout | null,
  d: AttentionDims,
  b: number,
  h: number,
  i: number,
  j: number,
): number {
  if (!drop || drop.p === 0) return 1;
  const at = ((b * d.NH + h) * d.Tq + i) * d.Tk + j;
  return dropoutKeep(drop.p, drop.seed, drop.offset, at) ? 1 / (1 - drop.p) : 0;
}

/** Scores of the visible keys [first, pos] of one query row (−∞ elsewhere). */
function scoreRow(
  q: Float64Array,
  k: Float64Array,
  slopes: Float64Array | null,
  d: AttentionDims,
  b: number,
  h: number,
  i: number,
): Float64Array {
  const kvh = Math.floor(h / (d.NH / d.NKV));
  const pos = i + d.Tk - d.Tq;
  const first = d.window >= 0 ? Math.max(0, pos - d.window) : 0;
  const s = new Float64Array(d.Tk).fill(Number.NEGATIVE_INFINITY);
  const qo = ((b * d.Tq + i) * d.NH + h) * d.HS;
  for (let j = first; j <= pos; j++) {
    const ko = ((b * d.Tk + j) * d.NKV + kvh) * d.HS;
    let dot = 0;
    for (let e = 0; e < d.HS; e++) dot += q[qo + e]! * k[ko + e]!;
    // GPT-NeoX ALiBi: bias -(i - j) * slope_h (positional_embeddings.py, AliBi.forward)
    s[j] = dot * d.scale - (slopes ? slopes[h]! * (pos - j) : 0);
  }
  return s;
}

export function attentionForward(
  out: Float64Array,
  lse: Float64Array,
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  slopes: Float64Array | null,
  d: AttentionDims,
  drop: AttentionDropout | null = null,
): void {
  const G = d.NH / d.NKV;
  for (let b = 0; b < d.B; b++) {
    for (let h = 0; h < d.NH; h++) {
      const kvh = Math.floor(h / G);
      for (let i = 0; i < d.Tq; i++) {
        const s = scoreRow(q, k, slopes, d, b, h, i);
        const max = s.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY);
        const sum = s.reduce((acc, x) => acc + Math.exp(x - max), 0);
        lse[(b * d.NH + h) * d.Tq + i] = max + Math.log(sum);
        const oo = ((b * d.Tq + i) * d.NH + h) * d.HS;
        for (let e = 0; e < d.HS; e++) out[oo + e] = 0;
        for (let j = 0; j < d.Tk; j++) {
          if (s[j] === Number.NEGATIVE_INFINITY) continue;
          const pj = (Math.exp(s[j]! - max) / sum) * attentionDropoutWeight(drop, d, b, h, i, j);
          const vo = ((b * d.Tk + j) * d.NKV + kvh) * d.HS;
          for (let e = 0; e < d.HS; e++) out[oo + e]! += pj * v[vo + e]!;
        }
      }
    }
  }
}

/**
 * dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − rowsum(dO∘O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q, with
 * dK/dV summed over the query heads sharing a kv head. `out` and `lse` are taken as given (the
 * forward's), like the native kernel; outputs are overwritten. With dropout (weights W = M/(1-p)):
 * dV = (P∘W)ᵀ·dO and dP = (dO·Vᵀ)∘W; D = rowsum(dO∘O) is unchanged because O = (P∘W)·V.
 */
export function attentionBackward(
  dq: Float64Array,
  dk: Float64Array,
  dv: Float64Array,
  dout: Float64Array,
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  out: Float64Array,
  lse: Float64Array,
  slopes: Float64Array | null,
  d: AttentionDims,
  drop: AttentionDropout | null = null,
): void {
  const G = d.NH / d.NKV;
  dq.fill(0);
  dk.fill(0);
  dv.fill(0);
  for (let b = 0; b < d.B; b++) {
    for (let h = 0; h < d.NH; h++) {
      const kvh = Math.floor(h / G);
      for (let i = 0; i < d.Tq; i++) {
        const s = scoreRow(q, k, slopes, d, b, h, i);
        const rowLse = lse[(b * d.NH + h) * d.Tq + i]!;
        const qo = ((b * d.Tq + i) * d.NH + h) * d.HS;
        let D = 0;
        for (let e = 0; e < d.HS; e++) D += dout[qo + e]! * out[qo + e]!;
        for (let j = 0; j < d.Tk; j++) {
          if (s[j] === Number.NEGATIVE_INFINITY) continue;
          const pj = Math.exp(s[j]! - rowLse); // P recomputed from the saved lse, as the kernel does
          const ko = ((b * d.Tk + j) * d.NKV + kvh) * d.HS;
          let dp = 0;
          for (let e = 0; e < d.HS; e++) dp += dout[qo + e]! * v[ko + e]!;
          const w = attentionDropoutWeight(drop, d, b, h, i, j);
          const ds = pj * (dp * w - D) * d.scale;
          for (let e = 0; e < d.HS; e++) {
            dq[qo + e]! += ds * k[ko + e]!;
            dk[ko + e]! += ds * q[qo + e]!;
            dv[ko + e]! += pj * w * dout[qo + e]!;
          }
        }
      }
    }
  }
}
