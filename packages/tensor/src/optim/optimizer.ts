// What AdamW, Lion and SGD share: flat parameters in two groups (GPT-NeoX's decay / no-decay), a
// StepScalars buffer the kernels read lr, t and the gradient multiplier from, and the two launches
// a planned step records: prepareGrads() (global norm, clipping coefficient, NaN/Inf flag, into
// the scalars) and update() (the optimizer kernel, then the bf16 working-copy refresh). Between
// plan runs the host writes lr / step / unscale into `scalars`; nothing else changes.

import { k } from "../kernels";
import { keep } from "../scope";
import { Tensor } from "../tensor";
import type { FlatParams, ParamRange } from "./flat-params";
import { type StepInputs, type StepOutputs, StepScalars } from "./step-scalars";

export interface Optimizer {
  readonly params: FlatParams;
  /** lr, step, unscale and maxNorm in; gradNorm, gradScale and foundInf out. */
  readonly scalars: StepScalars;
  /** Launches the gradient pass: writes gradNorm, gradScale and foundInf into `scalars`. */
  prepareGrads(): void;
  /** Launches the optimizer kernel at the step in `scalars`, then refreshes the bf16 working copy. */
  update(): void;
  /** Eager convenience: step t+1 (t counts applied steps), prepareGrads, update; returns the scalars. */
  step(inputs?: Partial<Omit<StepInputs, "step">>): StepOutputs;
  /** Flat state buffers by name (torch's names: exp_avg, exp_avg_sq, momentum_buffer), for checkpoints. */
  state(): ReadonlyMap<string, Tensor>;
  dispose(): void;
}

export interface OptimizerOptions {
  lr: number;
  /** Weight decay of the decay group (the no-decay group gets 0). */
  weightDecay?: number;
  /** clip_grad_norm_'s max_norm; <= 0 or absent: no clipping. */
  maxGradNorm?: number;
}

export abstract class FlatOptimizer implements Optimizer {
  readonly scalars: StepScalars;
  readonly weightDecay: number;
  /** Per non-empty group: its element count and weight decay. */
  protected readonly sizes: number[];
  protected readonly weightDecays: number[];
  protected readonly paramViews: Tensor[];
  protected readonly gradViews: Tensor[];
  private readonly ranges: ParamRange[];
  private readonly views: Tensor[] = [];
  private appliedSteps = 0;

  constructor(
    readonly params: FlatParams,
    opts: OptimizerOptions,
    defaultWeightDecay: number,
  ) {
    this.weightDecay = opts.weightDecay ?? defaultWeightDecay;
    const groups = [
      { range: params.decayRange, wd: this.weightDecay },
      { range: params.noDecayRange, wd: 0 },
    ].filter((g) => g.range.numel > 0);
    this.ranges = groups.map((g) => g.range);
    this.sizes = groups.map((g) => g.range.numel);
    this.weightDecays = groups.map((g) => g.wd);
    this.paramViews = this.groupViews(params.data);
    this.gradViews = this.groupViews(params.grads);
    this.scalars = new StepScalars({ lr: opts.lr, maxNorm: opts.maxGradNorm ?? 0 });
  }

  /** One view of a flat buffer (params, grads or a state buffer) per group, kept until dispose. */
  protected groupViews(flat: Tensor): Tensor[] {
    const views = this.ranges.map((r) =>
      keep(new Tensor(flat.storage, [r.numel], "f32", undefined, flat.offset + r.offset)),
    );
    this.views.push(...views);
    return views;
  }

  /** A zero-filled flat state buffer the size of the parameters. */
  protected zeros(): Tensor {
    const t = keep(Tensor.empty([this.params.numel]));
    t.write(new Float32Array(this.params.numel));
    return t;
  }

  prepareGrads(): void {
    k.prepareGrads(this.params.data.backend, {
      grads: this.gradViews,
      sizes: this.sizes,
      scalars: this.scalars.tensor,
    });
  }

  update(): void {
    if (this.scalars.get("step") < 1)
      throw new Error(
        `${this.constructor.name}.update: step t must be >= 1 (opt.scalars.set({ step }) first)`,
      );
    this.launch();
    this.params.refreshLowp();
  }

  step(inputs: Partial<Omit<StepInputs, "step">> = {}): StepOutputs {
    this.scalars.set({ ...inputs, step: this.appliedSteps + 1 });
    this.prepareGrads();
    this.update();
    const out = this.scalars.read();
    if (!out.foundInf) this.appliedSteps++;
    return out;
  }

  /** The optimizer kernel over the groups, reading `scalars`. */
  protected abstract launch(): void;

  abstract state(): ReadonlyMap<string, Tensor>;

  dispose(): void {
    for (const v of this.views) v.dispose();
    for (const t of this.state().values()) t.dispose();
    this.scalars.dispose();
  }
}
