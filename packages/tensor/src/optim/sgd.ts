// SGD over flat parameter buffers, as torch.optim.SGD (coupled weight decay g += wd·p, momentum
// with dampening, nesterov; the momentum buffer starts as the first step's gradient, step t = 1).
// Without momentum it keeps no state. Kernel: kernels/cpu/sgd.cc.

import { k } from "../kernels";
import type { Tensor } from "../tensor";
import type { FlatParams } from "./flat-params";
import { FlatOptimizer, type OptimizerOptions } from "./optimizer";

export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export class SGD extends FlatOptimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  /** torch's momentum_buffer, or null without momentum. */
  readonly buf: Tensor | null;
  private readonly bufViews: Tensor[];

  constructor(params: FlatParams, opts: SGDOptions) {
    super(params, opts, 0); // torch.optim.SGD's default weight decay
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new Error(
        `SGD: nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD), got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    this.buf = this.momentum !== 0 ? this.zeros() : null;
    this.bufViews = this.buf ? this.groupViews(this.buf) : [];
  }

  protected launch(): void {
    k.sgdStep(this.params.data.backend, {
      params: this.paramViews,
      grads: this.gradViews,
      momentumBuffers: this.bufViews,
      sizes: this.sizes,
      weightDecays: this.weightDecays,
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
      scalars: this.scalars.tensor,
    });
  }

  state(): ReadonlyMap<string, Tensor> {
    return new Map(this.buf ? [["momentum_buffer", this.buf]] : []);
  }
}
