// One optimizer step: `gas` micro-batches forward and backward into the flat gradient (summed), then
// the optimizer's gradient preparation (global norm, clipping coefficient, inf/NaN check) and update.
// The gradient of each micro-batch's mean loss is summed; the optimizer's `unscale` = 1/gas (times
// 1/loss_scale) turns the sum into GPT-NeoX's mean over micro-batches before the norm is measured.
//
// The whole step is recorded once as a Plan (packages/tensor/src/plan) and replayed: zero allocations
// after the first step. Inputs are device buffers written from the host between runs; the numbers
// that change per step (lr, Adam's t, unscale) live in the optimizer's StepScalars, a device buffer
// the kernels read, so nothing inside the replayed step reads the host.
//
// Data parallelism (a GradSync, grad-sync.ts) records the micro-batches' forward and backward as one
// plan and the optimizer as another: the backward's host marks start each gradient bucket's
// collective where the bucket is complete, and the collectives finish before the optimizer plan.
import type { GptNeoXModel } from "@neox/models";
import {
  backward,
  copyInto,
  hostMark,
  keep,
  type Optimizer,
  Plan,
  scope,
  Tensor,
  withMarks,
} from "@neox/tensor";
import type { MicroBatchHost } from "./batches";
import { DRAIN_MARK } from "./grad-buckets";
import type { GradSync } from "./grad-sync";

export interface StepOutcome {
  /** Mean of the micro-batches' losses (GPT-NeoX's train/lm_loss for one rank). */
  loss: number;
  /** Each micro-batch's loss. */
  losses: number[];
  /** Global gradient L2 norm before clipping (of the mean gradient). */
  gradNorm: number;
  /** A NaN/Inf gradient: the update was skipped (fp16 overflow). */
  skipped: boolean;
}

interface DeviceBatch {
  tokens: Tensor;
  labels: Tensor;
  mask: Tensor;
}

export interface TrainStepOptions {
  micro: number;
  T: number;
  gas: number;
  /** Record a Plan on the first run and replay it (default true). */
  planned?: boolean;
  /**
   * The backward's seed may change between steps (fp16's dynamic loss scale): each micro-batch's
   * gradient is then scaled by it, and the optimizer's `unscale` divides it out. Without it the
   * seed stays 1.
   */
  lossScaled?: boolean;
  /** Data parallelism: how the gradient is reduced over the ranks (runReduced). */
  sync?: GradSync | null;
}

export class TrainStep {
  readonly micro: number;
  readonly T: number;
  readonly gas: number;
  private readonly batches: DeviceBatch[] = [];
  /** (gas) the micro-batches' losses, written inside the step. */
  private readonly lossBuf: Tensor;
  private readonly lossViews: Tensor[] = [];
  private plan: Plan | null = null;
  /** Data parallel: the forward/backward and the optimizer as two plans around the collective. */
  private passPlan: Plan | null = null;
  private updatePlan: Plan | null = null;
  private readonly planned: boolean;
  /** (1) the backward's seed in device memory: 1, or the fp16 loss scale. */
  private readonly seed: Tensor;
  private readonly lossScaled: boolean;
  private readonly sync: GradSync | null;

  constructor(
    readonly model: GptNeoXModel,
    readonly optimizer: Optimizer,
    opts: TrainStepOptions,
  ) {
    this.micro = opts.micro;
    this.T = opts.T;
    this.gas = opts.gas;
    this.planned = opts.planned ?? true;
    for (let m = 0; m < this.gas; m++)
      this.batches.push({
        tokens: keep(
          Tensor.fromArray(new Int32Array(this.micro * this.T), [this.micro, this.T], { dtype: "i32" }),
        ),
        labels: keep(
          Tensor.fromArray(new Int32Array(this.micro * this.T), [this.micro, this.T], { dtype: "i32" }),
        ),
        mask: keep(Tensor.fromArray(new Float32Array(this.micro * this.T), [this.micro, this.T])),
      });
    this.lossBuf = keep(Tensor.fromArray(new Float32Array(this.gas), [this.gas]));
    this.seed = keep(Tensor.fromArray(Float32Array.of(1), [1]));
    this.lossScaled = opts.lossScaled ?? false;
    this.sync = opts.sync ?? null;
    for (let m = 0; m < this.gas; m++)
      this.lossViews.push(keep(new Tensor(this.lossBuf.storage, [1], "f32", undefined, m)));
    model.prepare(this.micro, this.T);
    model.dropout.stream(this.gas - 1); // one dropout seed per micro-batch
    model.dropout.stream(0);
  }

  /** Copies micro-batch `m` of the next step to the device (before `run`). */
  write(m: number, host: MicroBatchHost): void {
    const b = this.batches[m]!;
    b.tokens.write(host.tokens);
    b.labels.write(host.labels);
    b.mask.write(host.mask);
  }

  /** The loss scale of the next step (a host write into device memory, before `run`). */
  setLossScale(scale: number): void {
    if (!this.lossScaled) throw new Error("TrainStep.setLossScale: the step was built without lossScaled");
    this.seed.write(Float32Array.of(scale));
  }

  /**
   * Runs the step on the written micro-batches. The optimizer's step scalars (lr, t, unscale,
   * max_norm) must be set before. The first planned run records; later runs replay.
   */
  run(): StepOutcome {
    if (!this.planned) this.body();
    else if (!this.plan) {
      const { plan } = Plan.record(() => this.body());
      this.plan = plan;
    } else this.plan.run();
    return this.outcome();
  }

  /**
   * Runs the step with the gradient and the losses reduced over the ranks between the backward and
   * the optimizer (the GradSync given at construction). A plan replays kernels synchronously and
   * collectives settle on the communication thread, so the step is recorded as two plans.
   */
  async runReduced(): Promise<StepOutcome> {
    this.runPass();
    await this.settle();
    this.runOptimizer();
    return this.outcome();
  }

  /**
   * The micro-batches' forward and backward into the flat gradient (recorded once, then replayed),
   * starting the data-parallel collectives at their marks.
   */
  runPass(): void {
    const onMark = this.sync?.onMark ?? null;
    if (!this.planned) withMarks(onMark, () => this.pass());
    else if (!this.passPlan) this.passPlan = withMarks(onMark, () => Plan.record(() => this.pass()).plan);
    else this.passPlan.run(onMark ?? undefined);
  }

  /** After runPass with a GradSync: the losses' mean over the ranks and every collective finished. */
  settle(): Promise<void> {
    if (!this.sync) throw new Error("TrainStep.settle: the step was built without a GradSync");
    return this.sync.settle(this.lossBuf);
  }

  /** The optimizer's gradient pass and update (recorded once, then replayed). */
  runOptimizer(): void {
    if (!this.planned) this.optimizerPass();
    else if (!this.updatePlan) this.updatePlan = Plan.record(() => this.optimizerPass()).plan;
    else this.updatePlan.run();
  }

  /** (gas) the micro-batches' losses of the last pass, in device memory. */
  get lossTensor(): Tensor {
    return this.lossBuf;
  }

  /** The last pass's losses and their mean. */
  readLosses(): { loss: number; losses: number[] } {
    const losses = Array.from(this.lossBuf.toFloat32Array());
    return { loss: losses.reduce((a, b) => a + b, 0) / losses.length, losses };
  }

  private outcome(): StepOutcome {
    const s = this.optimizer.scalars.read();
    return {
      ...this.readLosses(),
      gradNorm: s.gradNorm,
      skipped: s.foundInf,
    };
  }

  private body(): void {
    this.pass();
    this.optimizerPass();
  }

  // The micro-batches' forward and backward, summed into the flat gradient.
  private pass(): void {
    const flat = this.model.registry.flat;
    const sync = this.sync;
    scope(() => {
      if (sync) sync.beginPass();
      else flat.zeroGrad();
      for (let m = 0; m < this.gas; m++) {
        const b = this.batches[m]!;
        this.model.dropout.stream(m);
        const reduced = sync !== null && (sync.everyMicroBatch || m === this.gas - 1);
        scope(() => {
          // The loss's own pass writes the logits' gradient (times the seed) over the logits.
          const loss = this.model.loss(b.tokens, b.labels, b.mask, this.seed);
          // the previous micro-batch's collectives read the gradient this backward writes
          if (reduced && m > 0 && sync.everyMicroBatch) hostMark(DRAIN_MARK);
          if (reduced) sync.buckets.begin();
          backward(loss, this.seed, undefined, reduced ? sync.buckets.backwardOptions : undefined);
          if (reduced) sync.buckets.finish();
          copyInto(this.lossViews[m]!, loss);
        });
      }
      this.model.dropout.stream(0);
    });
  }

  // Global norm, clipping coefficient, inf/NaN check, then the update.
  private optimizerPass(): void {
    scope(() => {
      this.optimizer.prepareGrads();
      this.optimizer.update();
    });
  }

  dispose(): void {
    this.plan?.dispose();
    this.passPlan?.dispose();
    this.updatePlan?.dispose();
    for (const b of this.batches) {
      b.tokens.dispose();
      b.labels.dispose();
      b.mask.dispose();
    }
    for (const v of this.lossViews) v.dispose();
    this.lossBuf.dispose();
    this.seed.dispose();
  }
}
