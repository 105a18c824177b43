// AdamW over flat parameter buffers (torch.optim.AdamW semantics, decoupled weight decay; GPT-NeoX
// runs FusedAdam with adam_w_mode, neox-spec §1.2). Moments are allocated up front, so a planned
// step touches no new memory; lr and the step count are Scalars a plan re-reads on each run.
// Kernel: kernels/cpu/adamw.cc.

import { k } from "../kernels";
import { Scalar } from "../kernels/kernel";
import { fill } from "../ops/basic";
import { keep } from "../scope";
import { Tensor } from "../tensor";
import type { FlatParams, ParamRange } from "./flat-params";

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class AdamW {
  readonly m: Tensor;
  readonly v: Tensor;
  readonly lr: Scalar;
  /** Step count t (from 1) used for bias correction. */
  readonly t = new Scalar(0, "adam_step");
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(
    readonly params: FlatParams,
    opts: AdamWOptions,
  ) {
    this.m = keep(fill(Tensor.empty([params.numel]), 0));
    this.v = keep(fill(Tensor.empty([params.numel]), 0));
    this.lr = new Scalar(opts.lr, "lr");
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
  }

  // One native call for both groups, each list holding one flat range per group.
  private launchUpdate(): void {
    const groups = [
      { range: this.params.decayRange, wd: this.weightDecay },
      { range: this.params.noDecayRange, wd: 0 },
    ].filter((g) => g.range.numel > 0);
    const at = (t: Tensor, r: ParamRange) => new Tensor(t.storage, [r.numel], "f32", undefined, r.offset);
    const lists = [this.params.data, this.params.grads, this.m, this.v].map((t) =>
      groups.map((g) => at(t, g.range)),
    );
    const sizes = groups.map((g) => g.range.numel);
    const wds = groups.map((g) => g.wd);
    const [p, g, m, v] = lists as [Tensor[], Tensor[], Tensor[], Tensor[]];
    k.adamwStep(this.params.data.backend, {
      params: p,
      grads: g,
      m,
      v,
      sizes,
      weightDecays: wds,
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      step: this.t,
      gradScale: 1,
    });
    for (const list of lists) for (const t of list) t.dispose();
  }

  /** Eager use: bump the step count, then update from params.grads. */
  step(): void {
    this.t.value += 1;
    this.update();
  }

  /**
   * The update alone, at the current step count (and the bf16 working copy refresh). A planned
   * step records this; the training loop bumps `t.value` before each `plan.run()`.
   */
  update(): void {
    if (this.t.value < 1) throw new Error("AdamW.update: step count t must be >= 1 (bump opt.t.value first)");
    this.launchUpdate();
    this.params.refreshLowp();
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
