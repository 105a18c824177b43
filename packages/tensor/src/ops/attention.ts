// Causal self-attention over a fused QKV projection, with rotary embedding on the first `rotDim`
// channels of each head (GPT-NeoX: rotate-half RoPE, partial `rotary_pct`), one coarse op for the
// tape. B batch, T time, NH heads, HS head size, C = NH·HS.
//   qkv (B·T, 3C) in GPT-NeoX's MHA layout: per head interleaved [q_h | k_h | v_h] (neox-spec §1.1),
//   so q, k and v are strided views (B, T, NH, HS) with head stride 3·HS.
//   out (B·T, C) = heads concatenated, ready for the output projection.
// Saves the rotated q/k, the input (for v), the output and the softmax log-sum-exp (B, NH, T); the
// backward kernel writes dq/dk/dv straight into one dQKV buffer, then the rotary backward runs in
// place on dq and dk.
// Kernels: kernels/cpu/rotary.cc, kernels/cpu/attention.cc (flash-style, never materialises T×T).

import { record } from "../autograd/tape";
import { launch } from "../launch";
import { Tensor } from "../tensor";
import { dense } from "./basic";

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

function rotary(kernel: string, out: Tensor, inp: Tensor, tables: RotaryTables, s: AttentionShape): void {
  // Positions start at 0 (training, no KV cache). In place when out and inp are the same view.
  const args = [
    out,
    inp,
    tables.cos,
    tables.sin,
    s.B,
    s.T,
    s.NH,
    s.HS,
    s.rotDim,
    0,
    ...strides3(out),
    ...strides3(inp),
  ];
  launch(out.backend, kernel, args);
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
  const src = dense(qkv);
  // Rotated q and k go to a second buffer of the same layout (its v third stays unused), so v is
  // read in place and q/k/v, dq/dk/dv all share one set of strides.
  const rotated = s.rotDim > 0 ? Tensor.empty([s.B * s.T, 3 * c], { device: qkv.device }) : src;
  const { v } = views(src, s);
  const { q, k } = views(rotated, s);
  if (s.rotDim > 0) {
    const orig = views(src, s);
    rotary("rotaryForward", q, orig.q, tables!, s);
    rotary("rotaryForward", k, orig.k, tables!, s);
  }
  const out = Tensor.empty([s.B * s.T, c], { device: qkv.device });
  const lse = Tensor.empty([s.B, s.NH, s.T], { device: qkv.device });
  launch(qkv.backend, "attentionForward", [out, lse, q, k, v, 0, ...attentionDims(q, k, v, s)]);
  const saved = [rotated, src, out, lse, ...(tables ? [tables.cos, tables.sin] : [])];
  record("attention", [qkv], [out], saved, { ...s });
  for (const t of [q, k, v, lse]) t.dispose();
  return out;
}

/** Backward of causalSelfAttention: dqkv (B·T, 3C) from dout (B·T, C). */
export function causalSelfAttentionBackward(
  dout: Tensor,
  rotated: Tensor,
  src: Tensor,
  out: Tensor,
  lse: Tensor,
  tables: RotaryTables | null,
  s: AttentionShape,
): Tensor {
  const dqkv = Tensor.empty([s.B * s.T, 3 * s.NH * s.HS], { device: src.device });
  const { q, k } = views(rotated, s);
  const { v } = views(src, s);
  const d = views(dqkv, s);
  launch(src.backend, "attentionBackward", [
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
    rotary("rotaryBackward", d.q, d.q, tables!, s);
    rotary("rotaryBackward", d.k, d.k, tables!, s);
  }
  return dqkv;
}
