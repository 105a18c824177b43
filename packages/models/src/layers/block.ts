// Transformer blocks, GPT-NeoX's ParallelTransformerLayer at TP 1 (neox-spec Appendix A). Each
// owns `input_layernorm`, `attention`, `post_attention_layernorm` and `mlp`, in GPT-NeoX's module
// order, under `layers.{i}`. Which block a model uses is chosen when it is built:
//   SequentialBlock        (gpt_j_residual: false, GPT-3 / Llama)
//       x = x + drop(attn(ln1(x)));  x = x + drop(mlp(ln2(x)))
//   ParallelBlock          (gpt_j_residual: true, GPT-J / NeoX-20B / Pythia; two untied norms)
//       x = x + drop(attn(ln1(x))) + drop(mlp(ln2(x)))
//   TiedParallelBlock      (gpt_j_residual and gpt_j_tied: one norm feeds both branches)
//       y = ln1(x);  x = x + drop(attn(y)) + drop(mlp(y))
// The attention and MLP outputs include their output biases, so drop(·) is GPT-NeoX's
// bias-dropout-add. GPT-NeoX still creates post_attention_layernorm in the tied case (its comment:
// "superfluous but leaving it in leads to cleaner code"), so checkpoints carry it; so do we, unused.
// B batch, T time, C channels; activations are (B·T, C).
import { add, type CacheSegment, type KvCache, type Tensor } from "@neox/tensor";
import type { ParamCollector } from "../params";
import type { Attention } from "./attention";
import type { Dropout, DropoutState } from "./dropout";
import type { Mlp } from "./mlp";
import type { Norm, NormFactory } from "./norm";

/** How a block's parts are built; the same for every layer of a model. */
export interface BlockParts {
  norm: NormFactory;
  attention: (pc: ParamCollector) => Attention;
  mlp: (pc: ParamCollector) => Mlp;
  hiddenDropout: number;
}

export interface Block {
  /** x (B·T, C) -> (B·T, C) */
  forward(x: Tensor, B: number, T: number): Tensor;
  /** Same, for T new tokens after those in `cache` (inference). */
  decode(x: Tensor, B: number, T: number, cache: KvCache): Tensor;
  /** Rows of a flat batch (N, C) cut into segments, each extending one slot of `cache` (inference). */
  decodeSegments(x: Tensor, segments: readonly CacheSegment[], cache: KvCache): Tensor;
}

abstract class BlockBase implements Block {
  readonly inputLayernorm: Norm;
  readonly attention: Attention;
  readonly postAttentionLayernorm: Norm;
  readonly mlp: Mlp;
  protected readonly attnDropout: Dropout;
  protected readonly mlpDropout: Dropout;

  constructor(pc: ParamCollector, C: number, parts: BlockParts, dropout: DropoutState) {
    this.inputLayernorm = parts.norm(pc.child("input_layernorm"), C);
    this.attention = parts.attention(pc.child("attention"));
    this.postAttentionLayernorm = parts.norm(pc.child("post_attention_layernorm"), C);
    this.mlp = parts.mlp(pc.child("mlp"));
    this.attnDropout = dropout.site(parts.hiddenDropout);
    this.mlpDropout = dropout.site(parts.hiddenDropout);
  }

  forward(x: Tensor, B: number, T: number): Tensor {
    return this.apply(x, (y) => this.attention.forward(y, B, T));
  }

  decode(x: Tensor, B: number, T: number, cache: KvCache): Tensor {
    return this.apply(x, (y) => this.attention.decode(y, B, T, cache));
  }

  decodeSegments(x: Tensor, segments: readonly CacheSegment[], cache: KvCache): Tensor {
    return this.apply(x, (y) => this.attention.decodeSegments(y, segments, cache));
  }

  /** The residual wiring, given the attention to run on a normed input. */
  protected abstract apply(x: Tensor, attend: (y: Tensor) => Tensor): Tensor;
}

export class SequentialBlock extends BlockBase {
  protected apply(x: Tensor, attend: (y: Tensor) => Tensor): Tensor {
    const h = add(x, this.attnDropout.forward(attend(this.inputLayernorm.forward(x))));
    return add(h, this.mlpDropout.forward(this.mlp.forward(this.postAttentionLayernorm.forward(h))));
  }
}

export class ParallelBlock extends BlockBase {
  protected apply(x: Tensor, attend: (y: Tensor) => Tensor): Tensor {
    const a = this.attnDropout.forward(attend(this.inputLayernorm.forward(x)));
    const m = this.mlpDropout.forward(this.mlp.forward(this.postAttentionLayernorm.forward(x)));
    return add(x, add(a, m));
  }
}

export class TiedParallelBlock extends BlockBase {
  protected apply(x: Tensor, attend: (y: Tensor) => Tensor): Tensor {
    const y = this.inputLayernorm.forward(x);
    const a = this.attnDropout.forward(attend(y));
    const m = this.mlpDropout.forward(this.mlp.forward(y));
    return add(x, add(a, m));
  }
}

export type BlockClass = new (
  pc: ParamCollector,
  C: number,
  parts: BlockParts,
  dropout: DropoutState,
) => Block;
