// A decode step's attention in one launch: every single-token segment of a segmentSelfAttention
// call goes to attentionDecodeStep, which rotates each new q and k at its slot's position, appends
// k and v to the slot-major cache and attends over the slot's keys (kernels/cpu/attention.h). The
// rows, slots and positions travel in the cache's own decodeIndex buffer, so a recorded plan can
// replay the launch with new ones. A bf16 cache is passed as such (cacheBf16): the kernel rounds
// the appends and widens what it reads.

import { k } from "../kernels";
import type { Tensor } from "../tensor";
import { type AttentionPositions, qkvHeads, type ResolvedShape } from "./attention";
import type { CacheSegment, KvCache } from "./kv-cache";

/**
 * Runs the single-token segments (already checked: rows inside qkv, distinct slots, room in the
 * cache) of `segments`, writing their rows of `out`; advances those slots' lengths.
 */
export function decodeStep(
  out: Tensor,
  src: Tensor,
  shape: ResolvedShape,
  segments: readonly CacheSegment[],
  cache: KvCache,
  pos: AttentionPositions,
): void {
  const singles = segments.filter((g) => g.T === 1);
  const R = singles.length;
  if (R === 0) return;
  const positions = singles.map((g) => cache.lengths[g.slot]!);
  const tables = shape.rotDim > 0 ? pos.rotary! : null;
  const nPos = tables ? tables.cos.size(0) : 0;
  if (tables) {
    const last = Math.max(...positions) + 1;
    if (nPos < last)
      throw new Error(`attention: rotary tables hold ${nPos} positions; positions up to ${last} are needed`);
  }
  cache.writeDecodeIndex(
    singles.map((g) => g.row),
    singles.map((g) => g.slot),
    positions,
  );
  // Where q, k and v of each head sit in a qkv row: read off the layout's own head views.
  const heads = qkvHeads(src, { ...shape, B: 1, T: 1 });
  const at = (t: Tensor) => ({ off: t.offset - src.offset, sh: t.strides[2]! });
  const [q, kk, v] = [at(heads.q), at(heads.k), at(heads.v)];
  for (const t of [heads.q, heads.k, heads.v]) t.dispose();
  const index = cache.decodeIndex;
  const [rows, slots, where] = [0, 1, 2].map((i) => index.narrow(0, i, 1).narrow(1, 0, R)) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  k.attentionDecodeStep(src.backend, {
    out,
    cacheK: cache.k,
    cacheV: cache.v,
    qkv: src,
    rows,
    slots,
    positions: where,
    cos: tables?.cos ?? null,
    sin: tables?.sin ?? null,
    slopes: pos.alibi ?? null,
    R,
    N: src.numel / shape.width,
    W: shape.width,
    NH: shape.NH,
    NKV: shape.NKV,
    HS: shape.HS,
    qOffset: q.off,
    kOffset: kk.off,
    vOffset: v.off,
    qStrideH: q.sh,
    kStrideH: kk.sh,
    vStrideH: v.sh,
    S: cache.B,
    maxT: cache.maxT,
    nPos,
    rotDim: shape.rotDim,
    window: shape.window,
    scale: shape.scale,
    cacheBf16: cache.dtype === "bf16",
  });
  for (const t of [rows, slots, where]) t.dispose();
  for (const g of singles) cache.lengths[g.slot]! += 1;
}
