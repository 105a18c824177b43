// Causal self-attention over a fused QKV projection, with rotary embedding on the first `rotDim`
// channels of each head (GPT-NeoX: rotate-half RoPE, partial `rotary_pct`), one coarse op for the
// tape. B batch, T time, NH heads, HS head size, C = NH·HS.
//   qkv (B·T, 3C) in GPT-NeoX's MHA layout: per head interleaved [q_h | k_h | v_h] (neox-spec §1.1),
//   so q, k and v are strided views (B, T, NH, HS) with head stride 3·HS.
//   out (B·T, C) = heads concatenated, ready for the output projection.
// Saves the rotated QKV, the output and the softmax log-sum-exp (B, NH, T); the backward kernel
// writes dq/dk/dv straight into one dQKV buffer, and the rotary backward then runs in place.
// Kernels: kernels/cpu/rotary.cc, kernels/cpu/attention.cc (flash-style, never materialises T×T).

import { record } from "../autograd/tape";
import { launch } from "../launch";
import { Tensor } from "../tensor";
import { copyInto, dense } from "./basic";

export interface AttentionShape {
  B: number;
  T: number;
  NH: number;
  HS: number;
  /** Rotary channels per head (int(HS·rotary_pct), even); 0 for none. */
  rotDim: number;
}

export interface RotaryTables {
  /** (nPos, rotDim/2) */
  cos: Tensor;
  sin: Tensor;
}

/** cos/sin tables for positions 0..nPos-1 (GPT-NeoX RotaryEmbedding, base 10000 by default). */
export function rotaryTables(nPos: number, rotDim: number, base = 10000): RotaryTables {
  const cos = Tensor.empty([nPos, rotDim / 2]);
  const sin = Tensor.empty([nPos, rotDim / 2]);
  launch(cos.backend, "rotaryTable", [cos, sin, nPos, rotDim, base]);
  return { cos, sin };
}

function views(qkv: Tensor, s: AttentionShape): { q: Tensor; k: Tensor; v: Tensor } {
  const base = qkv.view(s.B, s.T, s.NH, 3 * s.HS);
  return { q: base.narrow(3, 0, s.HS), k: base.narrow(3, s.HS, s.HS), v: base.narrow(3, 2 * s.HS, s.HS) };
}

function strides3(t: Tensor): number[] {
  return [t.strides[0]!, t.strides[1]!, t.strides[2]!];
}

function rotary(kernel: string, x: Tensor, tables: RotaryTables, s: AttentionShape): void {
  // In place: out and inp are the same view. Positions start at 0 (training, no KV cache).
  const st = strides3(x);
  launch(x.backend, kernel, [x, x, tables.cos, tables.sin, s.B, s.T, s.NH, s.HS, s.rotDim, 0, ...st, ...st]);
}

function attentionDims(q: Tensor, k: Tensor, v: Tensor, s: AttentionShape): number[] {
  return [
    s.B,
    s.T,
    s.T,
    s.NH,
    s.NH,
    s.HS,
    ...strides3(q),
    ...strides3(k),
    ...strides3(v),
    -1,
    1 / Math.sqrt(s.HS),
  ];
}

export function causalSelfAttention(qkv: Tensor, s: AttentionShape, tables: RotaryTables | null): Tensor {
  const c = s.NH * s.HS;
  if (qkv.numel !== s.B * s.T * 3 * c)
    throw new Error(`attention: qkv ${qkv} is not (B·T, 3C) = (${s.B * s.T}, ${3 * c})`);
  if (s.rotDim > 0 && !tables) throw new Error("attention: rotDim > 0 needs rotary tables");
  const qr = copyInto(
    Tensor.empty([s.B * s.T, 3 * c], { device: qkv.device }),
    dense(qkv).view(s.B * s.T, 3 * c),
  );
  const { q, k, v } = views(qr, s);
  if (s.rotDim > 0) {
    rotary("rotaryForward", q, tables!, s);
    rotary("rotaryForward", k, tables!, s);
  }
  const out = Tensor.empty([s.B * s.T, c], { device: qkv.device });
  const lse = Tensor.empty([s.B, s.NH, s.T], { device: qkv.device });
  launch(qkv.backend, "attentionForward", [out, lse, q, k, v, 0, ...attentionDims(q, k, v, s)]);
  const saved = [qr, out, lse, ...(tables ? [tables.cos, tables.sin] : [])];
  record("attention", [qkv], [out], saved, { ...s });
  for (const t of [q, k, v, lse]) t.dispose();
  return out;
}

/** Backward of causalSelfAttention: dqkv (B·T, 3C) from dout (B·T, C). */
export function causalSelfAttentionBackward(
  dout: Tensor,
  qr: Tensor,
  out: Tensor,
  lse: Tensor,
  tables: RotaryTables | null,
  s: AttentionShape,
): Tensor {
  const dqkv = Tensor.empty(qr.shape, { device: qr.device });
  const { q, k, v } = views(qr, s);
  const d = views(dqkv, s);
  launch(qr.backend, "attentionBackward", [
    d.q,
    d.k,
    d.v,
    dense(dout),
    q,
    k,
    v,
    out,
    lse,
    0,
    ...attentionDims(q, k, v, s),
  ]);
  if (s.rotDim > 0) {
    rotary("rotaryBackward", d.q, tables!, s);
    rotary("rotaryBackward", d.k, tables!, s);
  }
  return dqkv;
}
