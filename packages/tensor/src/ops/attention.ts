// Causal self-attention over a fused QKV projection, one coarse op for the tape. B batch, T time,
// NH query heads, NKV kv heads (GQA/MQA when NKV < NH: G = NH/NKV consecutive query heads share
// one, HF repeat_interleave order), HS head size, W = (NH + 2·NKV)·HS the QKV row width.
//   qkv (B·T, W) in one of GPT-NeoX's two layouts (neox-spec §1.1), both read in place:
//     interleaved  per head [q_h | k_h | v_h] (view [s, b, NH, 3·HS]); GPT-NeoX's MHA layout
//     blocked      per token [Q (NH·HS) | K (NKV·HS) | V (NKV·HS)]; GPT-NeoX's GQA layout (#1315)
//   out (B·T, NH·HS) = heads concatenated, ready for the output projection.
// Positions: rotate-half RoPE on the first `rotDim` channels of each q and k head, and/or ALiBi
// (slopes per head, the bias added inside the kernel); a sliding window (GPT-NeoX
// sliding_window_width w: position p sees keys p - w .. p).
// Saves the rotated q/k, the input (for v), the output and the softmax log-sum-exp (B, NH, T); the
// backward kernel writes dq/dk/dv straight into one dQKV buffer of the same layout, then the
// rotary backward runs in place on dq and dk.
// Dropout on the probabilities (GPT-NeoX attention_dropout, torch's dropout(softmax(s)) @ v) is
// inside the kernel: the mask is the dropout op's counter-based one (ops/dropout.ts), element
// (b, h, i, j) at counter offset + ((b·NH + h)·T + i)·T + j, so a call uses B·NH·T² counters. Seed
// and offset may be Scalars: they stay Scalars on the tape, so a planned step re-reads them in
// the forward and backward of every replay and draws a fresh mask per step.
// Kernels: kernels/cpu/rotary.cc, attention.cc and attention-backward.cc (flash-style, never
// materialise T×T), alibi.cc.

import { record } from "../autograd/tape";
import { k } from "../kernels";
import type { ATTENTION_DIMS, ATTENTION_DROPOUT } from "../kernels/attention";
import type { KernelArgs } from "../kernels/kernel";
import { Tensor } from "../tensor";
import { dense } from "./basic";
import type { DropoutRng } from "./dropout";

export type QkvLayout = "interleaved" | "blocked";

export interface AttentionShape {
  B: number;
  T: number;
  NH: number;
  HS: number;
  /** Rotary channels per head (rotaryDim(HS, rotary_pct), even); 0 for none. */
  rotDim: number;
  /** kv heads (GPT-NeoX num_kv_heads): NH by default (MHA), a divisor of NH (GQA), 1 (MQA). */
  NKV?: number;
  /** Default as GPT-NeoX: interleaved when NKV == NH, blocked otherwise. */
  layout?: QkvLayout;
  /** GPT-NeoX sliding_window_width: position p sees keys p - window .. p. Default: none. */
  window?: number;
  /** Score scale; default 1/sqrt(HS). */
  scale?: number;
}

/** Dropout on the attention probabilities: p in [0, 1) and the mask's seed and offset. */
export interface AttentionDropout extends DropoutRng {
  p: number;
}

/** The kernels' dropout arguments for no dropout. */
export const NO_ATTENTION_DROPOUT: KernelArgs<typeof ATTENTION_DROPOUT> = { dropoutP: 0, seed: 0, offset: 0 };

function dropoutArgs(d: AttentionDropout | null): KernelArgs<typeof ATTENTION_DROPOUT> {
  return d ? { dropoutP: d.p, seed: d.seed, offset: d.offset } : NO_ATTENTION_DROPOUT;
}

/** Position information beside the shape: rotary tables (when rotDim > 0) and ALiBi slopes. */
export interface AttentionPositions {
  rotary?: RotaryTables | null;
  /** (NH) f32 from alibiSlopes(NH). */
  alibi?: Tensor | null;
}

export interface RotaryTables {
  /** (nPos, rotDim/2) */
  cos: Tensor;
  sin: Tensor;
}

/** A shape with every default filled in and checked. */
export interface ResolvedShape {
  B: number;
  T: number;
  NH: number;
  NKV: number;
  HS: number;
  rotDim: number;
  layout: QkvLayout;
  window: number;
  scale: number;
  /** QKV row width (NH + 2·NKV)·HS. */
  width: number;
}

export function resolveShape(s: AttentionShape): ResolvedShape {
  const NKV = s.NKV ?? s.NH;
  if (!(NKV >= 1 && s.NH % NKV === 0))
    throw new Error(`attention: num_kv_heads ${NKV} must divide num_attention_heads ${s.NH}`);
  const layout = s.layout ?? (NKV === s.NH ? "interleaved" : "blocked");
  if (layout === "interleaved" && NKV !== s.NH) {
    throw new Error(
      `attention: the interleaved QKV layout holds one k and v per query head; with num_kv_heads ${NKV} < ${s.NH} use "blocked"`,
    );
  }
  if (s.rotDim < 0 || s.rotDim % 2 !== 0 || s.rotDim > s.HS)
    throw new Error(`attention: rotDim ${s.rotDim} must be even and within the head size ${s.HS}`);
  const window = s.window ?? -1;
  if (!Number.isInteger(window)) throw new Error(`attention: window ${window} must be an integer`);
  return {
    B: s.B,
    T: s.T,
    NH: s.NH,
    NKV,
    HS: s.HS,
    rotDim: s.rotDim,
    layout,
    window,
    scale: s.scale ?? 1 / Math.sqrt(s.HS),
    width: (s.NH + 2 * NKV) * s.HS,
  };
}

/** cos/sin tables for positions 0..nPos-1 (GPT-NeoX RotaryEmbedding, rotary_emb_base 10000). */
export function rotaryTables(nPos: number, rotDim: number, base = 10000): RotaryTables {
  const cos = Tensor.empty([nPos, rotDim / 2]);
  const sin = Tensor.empty([nPos, rotDim / 2]);
  k.rotaryTable(cos.backend, { cos, sin, nPos, rotDim, base });
  return { cos, sin };
}

/** GPT-NeoX's ALiBi slopes for NH heads, (NH) f32 (a constant: make it before recording a plan). */
export function alibiSlopes(NH: number): Tensor {
  const slopes = Tensor.empty([NH]);
  k.alibiSlopes(slopes.backend, { slopes, NH });
  return slopes;
}

/** (B, T, H, HS) view at element `at` of a (B·T, width) buffer, head stride `sh`; not recorded. */
function heads(buf: Tensor, r: ResolvedShape, H: number, at: number, sh: number): Tensor {
  const st = r.width;
  return new Tensor(buf.storage, [r.B, r.T, H, r.HS], buf.dtype, [r.T * st, st, sh, 1], buf.offset + at);
}

/** Strided head views of q, k and v inside a (B·T, width) buffer of the shape's layout. */
export function qkvHeads(buf: Tensor, r: ResolvedShape): { q: Tensor; k: Tensor; v: Tensor } {
  const { NH, NKV, HS } = r;
  if (r.layout === "interleaved")
    return {
      q: heads(buf, r, NH, 0, 3 * HS),
      k: heads(buf, r, NH, HS, 3 * HS),
      v: heads(buf, r, NH, 2 * HS, 3 * HS),
    };
  return {
    q: heads(buf, r, NH, 0, HS),
    k: heads(buf, r, NKV, NH * HS, HS),
    v: heads(buf, r, NKV, (NH + NKV) * HS, HS),
  };
}

/** Rotary on (B, T, H, HS) views (out may be inp) with positions posOffset .. posOffset + T - 1. */
export function rotate(
  dir: "forward" | "backward",
  out: Tensor,
  inp: Tensor,
  tables: RotaryTables,
  rotDim: number,
  posOffset: number,
): void {
  const [B, T, H, HS] = out.shape as [number, number, number, number];
  if (tables.cos.size(0) < posOffset + T) {
    throw new Error(
      `attention: rotary tables hold ${tables.cos.size(0)} positions; positions up to ${posOffset + T} are needed`,
    );
  }
  const [ob, ot, oh] = out.strides as [number, number, number];
  const [ib, it, ih] = inp.strides as [number, number, number];
  const sizes = { cos: tables.cos, sin: tables.sin, B, T, NH: H, HS, rotDim, posOffset };
  if (dir === "forward") {
    k.rotaryForward(out.backend, {
      out,
      inp,
      ...sizes,
      outStrideB: ob,
      outStrideT: ot,
      outStrideH: oh,
      inpStrideB: ib,
      inpStrideT: it,
      inpStrideH: ih,
    });
  } else {
    k.rotaryBackward(out.backend, {
      dinp: out,
      dout: inp,
      ...sizes,
      dinpStrideB: ob,
      dinpStrideT: ot,
      dinpStrideH: oh,
      doutStrideB: ib,
      doutStrideT: it,
      doutStrideH: ih,
    });
  }
}

/** The attention kernels' sizes and strides for q (B, Tq, NH, HS) and k, v (B, Tk, NKV, HS) views. */
export function attentionDims(
  q: Tensor,
  kk: Tensor,
  v: Tensor,
  r: ResolvedShape,
): KernelArgs<typeof ATTENTION_DIMS> {
  return {
    B: r.B,
    Tq: q.size(1),
    Tk: kk.size(1),
    NH: r.NH,
    NKV: r.NKV,
    HS: r.HS,
    qStrideB: q.strides[0]!,
    qStrideT: q.strides[1]!,
    qStrideH: q.strides[2]!,
    kStrideB: kk.strides[0]!,
    kStrideT: kk.strides[1]!,
    kStrideH: kk.strides[2]!,
    vStrideB: v.strides[0]!,
    vStrideT: v.strides[1]!,
    vStrideH: v.strides[2]!,
    window: r.window,
    scale: r.scale,
  };
}

function checkPositions(r: ResolvedShape, pos: AttentionPositions): void {
  if (r.rotDim > 0 && !pos.rotary) throw new Error("attention: rotDim > 0 needs rotary tables");
  const a = pos.alibi;
  if (a && (a.dtype !== "f32" || a.numel !== r.NH))
    throw new Error(`attention: ALiBi slopes ${a} must be (${r.NH}) f32, one per query head`);
}

/**
 * qkv (B·T, W) -> (B·T, NH·HS). `dropout` drops attention probabilities (training); omitted or
 * p = 0: none, and the kernels run exactly as without it.
 */
export function causalSelfAttention(
  qkv: Tensor,
  s: AttentionShape,
  pos: AttentionPositions = {},
  dropout?: AttentionDropout,
): Tensor {
  const r = resolveShape(s);
  if (dropout && !(dropout.p >= 0 && dropout.p < 1))
    throw new Error(`attention: dropout p ${dropout.p} must be in [0, 1)`);
  const drop = dropout && dropout.p > 0 ? { p: dropout.p, seed: dropout.seed, offset: dropout.offset } : null;
  if (qkv.numel !== r.B * r.T * r.width)
    throw new Error(`attention: qkv ${qkv} is not (B·T, (NH + 2·NKV)·HS) = (${r.B * r.T}, ${r.width})`);
  checkPositions(r, pos);
  const tables = r.rotDim > 0 ? pos.rotary! : null;
  const slopes = pos.alibi ?? null;
  const src = dense(qkv);
  // q and k are rotated in place when qkv is an intermediate (the QKV projection's output, which no
  // other op reads): only the rotDim channels are touched and no second buffer is kept for the
  // backward. A caller's own tensor (a leaf) is never written: rotated q and k then go to a second
  // buffer of the same layout (its v part unused), so q/k/v, dq/dk/dv share one set of strides.
  const inPlace = tables !== null && src === qkv && qkv.producer !== null;
  const rotated = tables && !inPlace ? Tensor.empty([r.B * r.T, r.width], { device: qkv.device }) : src;
  const orig = qkvHeads(src, r);
  const { q, k: kk } = qkvHeads(rotated, r);
  if (tables) {
    rotate("forward", q, orig.q, tables, r.rotDim, 0);
    rotate("forward", kk, orig.k, tables, r.rotDim, 0);
  }
  const out = Tensor.empty([r.B * r.T, r.NH * r.HS], { device: qkv.device });
  const lse = Tensor.empty([r.B, r.NH, r.T], { device: qkv.device });
  k.attentionForward(qkv.backend, {
    out,
    lse,
    q,
    k: kk,
    v: orig.v,
    slopes,
    ...attentionDims(q, kk, orig.v, r),
    ...dropoutArgs(drop),
  });
  const saved = [
    rotated,
    src,
    out,
    lse,
    ...(tables ? [tables.cos, tables.sin] : []),
    ...(slopes ? [slopes] : []),
  ];
  record("attention", [qkv], [out], saved, {
    ...r,
    rotary: tables !== null,
    alibi: slopes !== null,
    dropout: drop,
  });
  for (const t of [q, kk, orig.q, orig.k, orig.v, lse]) t.dispose();
  return out;
}

/** Backward of causalSelfAttention from its tape entry's saved tensors: dqkv (B·T, W) from dout. */
export function causalSelfAttentionBackward(
  dout: Tensor,
  saved: readonly Tensor[],
  attrs: ResolvedShape & { rotary: boolean; alibi: boolean; dropout?: AttentionDropout | null },
): Tensor {
  const [rotated, src, out, lse] = saved as [Tensor, Tensor, Tensor, Tensor];
  const tables = attrs.rotary ? { cos: saved[4]!, sin: saved[5]! } : null;
  const slopes = attrs.alibi ? saved[attrs.rotary ? 6 : 4]! : null;
  const r = attrs;
  const dqkv = Tensor.empty([r.B * r.T, r.width], { device: src.device });
  const { q, k: kk } = qkvHeads(rotated, r);
  const { v } = qkvHeads(src, r);
  const d = qkvHeads(dqkv, r);
  // Every dqkv element is written: the kernel overwrites dq, dk, dv, which tile each row.
  k.attentionBackward(src.backend, {
    dq: d.q,
    dk: d.k,
    dv: d.v,
    dout: dense(dout),
    q,
    k: kk,
    v,
    out,
    lse,
    slopes,
    ...attentionDims(q, kk, v, r),
    ...dropoutArgs(attrs.dropout ?? null),
  });
  if (tables) {
    rotate("backward", d.q, d.q, tables, r.rotDim, 0);
    rotate("backward", d.k, d.k, tables, r.rotDim, 0);
  }
  for (const t of [q, kk, v, d.q, d.k, d.v]) t.dispose();
  return dqkv;
}
