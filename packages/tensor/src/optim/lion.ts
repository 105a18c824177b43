// Lion over flat parameter buffers, as GPT-NeoX's megatron/optimizers.py (optimizer type "lion"):
// c = β1·m + (1-β1)·g; p ← p·(1 - lr·wd) - lr·sign(c); m ← β2·m + (1-β2)·g. One momentum buffer
// (half AdamW's state). Kernel: kernels/cpu/lion.cc.

import { k } from "../kernels";
import type { Tensor } from "../tensor";
import type { FlatParams } from "./flat-params";
import { FlatOptimizer, type OptimizerOptions } from "./optimizer";

export interface LionOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
}

export class Lion extends FlatOptimizer {
  /** GPT-NeoX's exp_avg. */
  readonly m: Tensor;
  readonly beta1: number;
  readonly beta2: number;
  private readonly mViews: Tensor[];

  constructor(params: FlatParams, opts: LionOptions) {
    super(params, opts, 0); // GPT-NeoX's Lion default weight_decay
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.99;
    this.m = this.zeros();
    this.mViews = this.groupViews(this.m);
  }

  protected launch(): void {
    k.lionStep(this.params.data.backend, {
      params: this.paramViews,
      grads: this.gradViews,
      m: this.mViews,
      sizes: this.sizes,
      weightDecays: this.weightDecays,
      beta1: this.beta1,
      beta2: this.beta2,
      scalars: this.scalars.tensor,
    });
  }

  state(): ReadonlyMap<string, Tensor> {
    return new Map([["exp_avg", this.m]]);
  }
}
