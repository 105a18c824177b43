// Attention with a key/value cache, for generation: the T new tokens sit at positions
// offset .. offset + T - 1 (offset = tokens already cached) and attend to all offset + T keys.
// Each call rotates the new q and k at their absolute positions, writes the new k and v into the
// cache, then runs the attention kernel with Tq = T queries over Tk = offset + T cached keys.
// B batch, T new tokens, NH query heads, NKV kv heads, HS head size, maxT cache capacity.
// The cache is time-major, (maxT, B, NKV, HS) like GPT-NeoX's [s, b, np, hn] inference cache, so
// the rows of one call are one contiguous block and the kernels read the cache at its strides.
// Inference only: nothing is recorded (a cache is state that changes under the tape), and each
// call's offset is a fixed size, so run it eagerly rather than in a plan.

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
import { copyInto, dense } from "./basic";

export class KvCache {
  /** (maxT, B, NKV, HS) f32 */
  readonly k: Tensor;
  readonly v: Tensor;
  /** Positions filled so far: the next call's position offset. */
  length = 0;

  constructor(
    readonly maxT: number,
    readonly B: number,
    readonly NKV: number,
    readonly HS: number,
  ) {
    this.k = keep(Tensor.empty([maxT, B, NKV, HS]));
    this.v = keep(Tensor.empty([maxT, B, NKV, HS]));
  }

  /** A (B, T, NKV, HS) view of positions from .. from + T - 1 of the k or v cache. */
  positions(which: "k" | "v", from: number, T: number): Tensor {
    const t = which === "k" ? this.k : this.v;
    const row = this.B * this.NKV * this.HS;
    return new Tensor(
      t.storage,
      [this.B, T, this.NKV, this.HS],
      "f32",
      [this.NKV * this.HS, row, this.HS, 1],
      t.offset + from * row,
    );
  }

  /** Forget every position (a new sequence). */
  reset(): void {
    this.length = 0;
  }

  dispose(): void {
    this.k.dispose();
    this.v.dispose();
  }
}

// dst: the cache block of T positions as a dense (T, B, NKV, HS); src: a (B, T, NKV, HS) view.
function append(cache: KvCache, which: "k" | "v", at: number, src: Tensor): void {
  const t = which === "k" ? cache.k : cache.v;
  const [B, T, H, HS] = src.shape as [number, number, number, number];
  const dst = new Tensor(t.storage, [T, B, H, HS], "f32", undefined, t.offset + at * B * H * HS);
  const [sb, st, sh] = src.strides as [number, number, number];
  const srcTimeMajor = new Tensor(src.storage, [T, B, H, HS], "f32", [st, sb, sh, 1], src.offset);
  copyInto(dst, srcTimeMajor);
  dst.dispose();
  srcTimeMajor.dispose();
}

function checkCache(r: ResolvedShape, cache: KvCache): void {
  if (cache.B !== r.B || cache.NKV !== r.NKV || cache.HS !== r.HS) {
    throw new Error(
      `attention: the KV cache holds (B ${cache.B}, NKV ${cache.NKV}, HS ${cache.HS}); the call has (B ${r.B}, NKV ${r.NKV}, HS ${r.HS})`,
    );
  }
  if (cache.length + r.T > cache.maxT) {
    throw new Error(
      `attention: the KV cache holds ${cache.maxT} positions; ${cache.length} cached + ${r.T} new do not fit`,
    );
  }
}

/**
 * causalSelfAttention for T new tokens after `cache.length` cached ones (qkv (B·T, W) in the
 * shape's layout); appends their k and v to the cache. Returns (B·T, NH·HS).
 */
export function cachedSelfAttention(
  qkv: Tensor,
  s: AttentionShape,
  cache: KvCache,
  pos: AttentionPositions = {},
): Tensor {
  if (needsGrad([qkv])) throw new Error("attention with a KV cache is inference only: run it under noGrad()");
  const r = resolveShape(s);
  if (qkv.numel !== r.B * r.T * r.width)
    throw new Error(`attention: qkv ${qkv} is not (B·T, (NH + 2·NKV)·HS) = (${r.B * r.T}, ${r.width})`);
  checkCache(r, cache);
  if (r.rotDim > 0 && !pos.rotary) throw new Error("attention: rotDim > 0 needs rotary tables");
  const offset = cache.length;
  const Tk = offset + r.T;
  const src = dense(qkv);
  const orig = qkvHeads(src, r);
  let q = orig.q;
  if (r.rotDim > 0) {
    // New keys are rotated straight into the cache; queries into a dense buffer.
    q = Tensor.empty([r.B, r.T, r.NH, r.HS], { device: qkv.device });
    rotate("forward", q, orig.q, pos.rotary!, r.rotDim, offset);
    const kNew = cache.positions("k", offset, r.T);
    rotate("forward", kNew, orig.k, pos.rotary!, r.rotDim, offset);
    kNew.dispose();
  } else {
    append(cache, "k", offset, orig.k);
  }
  append(cache, "v", offset, orig.v);
  cache.length = Tk;
  const kAll = cache.positions("k", 0, Tk);
  const vAll = cache.positions("v", 0, Tk);
  const out = Tensor.empty([r.B * r.T, r.NH * r.HS], { device: qkv.device });
  const lse = Tensor.empty([r.B, r.NH, r.T], { device: qkv.device });
  const slopes = pos.alibi ?? null;
  k.attentionForward(qkv.backend, {
    out,
    lse,
    q,
    k: kAll,
    v: vAll,
    slopes,
    ...attentionDims(q, kAll, vAll, r),
    ...NO_ATTENTION_DROPOUT,
  });
  for (const t of new Set([q, orig.q, orig.k, orig.v, kAll, vAll, lse])) t.dispose();
  if (src !== qkv) src.dispose();
  return out;
}
