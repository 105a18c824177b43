// AdamW over flat parameter buffers (torch.optim.AdamW semantics, decoupled weight decay; GPT-NeoX
// runs FusedAdam with adam_w_mode, neox-spec §1.2). Moments are allocated up front, so a planned
// step touches no new memory; lr, t and the gradient multiplier come from `scalars` (device
// memory). Kernel: kernels/cpu/adamw.cc.

import { k } from "../kernels";
import type { Tensor } from "../tensor";
import type { FlatParams } from "./flat-params";
import { FlatOptimizer, type OptimizerOptions } from "./optimizer";

export interface AdamWOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class AdamW extends FlatOptimizer {
  /** torch's exp_avg and exp_avg_sq, flat like the parameters. */
  readonly m: Tensor;
  readonly v: Tensor;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly mViews: Tensor[];
  private readonly vViews: Tensor[];

  constructor(params: FlatParams, opts: AdamWOptions) {
    super(params, opts, 0.01); // torch.optim.AdamW's default weight decay
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.m = this.zeros();
    this.v = this.zeros();
    this.mViews = this.groupViews(this.m);
    this.vViews = this.groupViews(this.v);
  }

  protected launch(): void {
    k.adamwStep(this.params.data.backend, {
      params: this.paramViews,
      grads: this.gradViews,
      m: this.mViews,
      v: this.vViews,
      sizes: this.sizes,
      weightDecays: this.weightDecays,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      scalars: this.scalars.tensor,
    });
  }

  state(): ReadonlyMap<string, Tensor> {
    return new Map([
      ["exp_avg", this.m],
      ["exp_avg_sq", this.v],
    ]);
  }
}
