// Self-attention, GPT-NeoX's ParallelSelfAttention at TP 1: `query_key_value` (C -> (NH + 2·NKV)·HS)
// and `dense` (NH·HS -> C). The fused QKV output is read in place by the attention op in GPT-NeoX's
// layout: per-head interleaved [q_h | k_h | v_h] for MHA, blocked [Q | K | V] when
// num_kv_heads < num_attention_heads (GQA/MQA, neox-spec §1.1). Positions (rotary tables on the
// first rotDim channels of each head, ALiBi slopes) and the sliding window are fixed at build.
// GPT-NeoX's attention_dropout drops attention probabilities (torch: dropout(softmax(s)) @ v)
// inside the fused kernel, through a site of the model's DropoutState: on in training, off in
// evaluation and in `decode`.
// B batch, T time, C channels, NH query heads, NKV kv heads, HS head size.
import {
  type AttentionPositions,
  type AttentionShape,
  type CacheSegment,
  cachedSelfAttention,
  causalSelfAttention,
  type KvCache,
  segmentSelfAttention,
  type Tensor,
} from "@neox/tensor";
import type { Init } from "../init";
import type { ParamCollector } from "../params";
import type { Dropout } from "./dropout";
import { Linear } from "./linear";

export interface AttentionDims {
  NH: number;
  NKV: number;
  HS: number;
  /** Rotary channels per head (0: none). */
  rotDim: number;
  /** GPT-NeoX sliding_window_width (position p sees keys p - window .. p); undefined: none. */
  window?: number;
}

export class Attention {
  readonly queryKeyValue: Linear;
  readonly dense: Linear;
  /** attention_dropout's site (a site of the model's DropoutState); null for none. */
  dropout: Dropout | null;

  constructor(
    pc: ParamCollector,
    C: number,
    readonly dims: AttentionDims,
    readonly positions: AttentionPositions,
    opts: { bias: boolean; init: Init; outputInit: Init; dropout?: Dropout },
  ) {
    const { NH, NKV, HS } = dims;
    this.dropout = opts.dropout ?? null;
    this.queryKeyValue = new Linear(pc.child("query_key_value"), C, (NH + 2 * NKV) * HS, {
      bias: opts.bias,
      init: opts.init,
    });
    this.dense = new Linear(pc.child("dense"), NH * HS, C, { bias: opts.bias, init: opts.outputInit });
  }

  private shape(B: number, T: number): AttentionShape {
    const { NH, NKV, HS, rotDim, window } = this.dims;
    return { B, T, NH, NKV, HS, rotDim, ...(window !== undefined ? { window } : {}) };
  }

  /** x (B·T, C) -> (B·T, C), causal over each sequence of T. The dense bias is included. */
  forward(x: Tensor, B: number, T: number): Tensor {
    const qkv = this.queryKeyValue.forward(x); // (B·T, (NH + 2·NKV)·HS)
    const drop = this.dropout?.rng(B * this.dims.NH * T * T); // over the (B, NH, T, T) probabilities
    const ctx = causalSelfAttention(qkv, this.shape(B, T), this.positions, drop); // (B·T, NH·HS)
    return this.dense.forward(ctx); // (B·T, C)
  }

  /** The T new tokens after cache.length cached ones; appends their k, v. Inference only: no dropout. */
  decode(x: Tensor, B: number, T: number, cache: KvCache): Tensor {
    const qkv = this.queryKeyValue.forward(x); // (B·T, (NH + 2·NKV)·HS)
    const ctx = cachedSelfAttention(qkv, this.shape(B, T), cache, this.positions); // (B·T, NH·HS)
    return this.dense.forward(ctx); // (B·T, C)
  }

  /** Rows of a flat batch cut into segments, each extending one cache slot (the inference engine). */
  decodeSegments(x: Tensor, segments: readonly CacheSegment[], cache: KvCache): Tensor {
    const qkv = this.queryKeyValue.forward(x); // (N, (NH + 2·NKV)·HS)
    const { NH, NKV, HS, rotDim, window } = this.dims;
    const shape = { NH, NKV, HS, rotDim, ...(window !== undefined ? { window } : {}) };
    const ctx = segmentSelfAttention(qkv, shape, segments, cache, this.positions); // (N, NH·HS)
    return this.dense.forward(ctx); // (N, C)
  }
}
