// GPT-NeoX's training loop (megatron/training.py `train`) for one process: per iteration `gas`
// micro-batches, one optimizer step, the scheduler stepped after each successful step, metrics every
// log_interval, evaluation every eval_interval, checkpoints by the configured cadence, and a stop
// (exit_interval, an interrupt, the last iteration) that always leaves a checkpoint behind when
// `save` is set. Iterations count from 1: the first step trained is iteration 1.
//
// With a DataParallel group (data-parallel.ts) each rank reads its slice of every global batch, the
// flat gradient and the losses are averaged over the ranks bucket by bucket as the backward
// finishes them (grad-sync.ts), and only rank 0 writes checkpoints (full tensors, as one process
// writes them); the caller gives the other ranks a Monitor without sinks. zero_optimization.stage 1
// and 2 shard the optimizer state (and at 2 the gradient) instead (zero.ts): the optimizer is built
// over this rank's shard.
import type { ResolvedConfig } from "@neox/config";
import type { SampleSource } from "@neox/data-mmap";
import { type BuildOptions, GptNeoXModel } from "@neox/models";
import { METRIC, type Monitor, runtimeMetrics } from "@neox/monitor";
import type { Optimizer } from "@neox/tensor";
import { allocMicroBatch, type MicroBatchHost, MicroBatchStream } from "./batches";
import { removeStaleCheckpointTemps } from "./checkpoint/save";
import { loadCheckpoint, saveTrainerCheckpoint } from "./checkpointing";
import type { DataParallel } from "./data-parallel";
import { evaluate } from "./evaluate";
import { AllReduceSync, type GradSync } from "./grad-sync";
import { buildOptimizer } from "./optimizer";
import {
  type Cadence,
  cadenceFromConfig,
  isEvalIteration,
  isExitIteration,
  trainItersFromEpochs,
} from "./schedule/cadence";
import { type LossScaler, lossScalerFromConfig } from "./schedule/loss-scale";
import { type AnnealingLR, annealingLRFromConfig } from "./schedule/lr";
import { TrainConfigError, type TrainSettings, trainSettings } from "./settings";
import { type StepOutcome, TrainStep } from "./step";
import { gatheredState, ZeroSharded } from "./zero";

export interface TrainData {
  train: SampleSource;
  valid: SampleSource | null;
  test: SampleSource | null;
  /** End-of-document id masked out of the loss with eod_mask_loss. */
  eod: number | null;
}

export interface TrainerOptions {
  /** Polled between iterations; true finishes the iteration, saves and stops ("interrupted"). */
  shouldStop?: () => boolean;
  /** Lines for the user (resume notes, checkpoint paths). */
  log?: (line: string) => void;
  /** Record the step as a plan (default true); false runs every step eagerly. */
  planned?: boolean;
  /** The data-parallel group when launched with many ranks; absent or null: one process. */
  dataParallel?: DataParallel | null;
}

export type StopReason = "done" | "exit_interval" | "interrupted";

export interface TrainResult {
  iteration: number;
  reason: StopReason;
  /** The last checkpoint written, or null. */
  checkpoint: string | null;
  /** Every iteration's mean loss, by iteration - first. */
  losses: number[];
  lastValidation: number | null;
}

export class Trainer {
  readonly settings: TrainSettings;
  readonly model: GptNeoXModel;
  readonly optimizer: Optimizer;
  readonly scheduler: AnnealingLR;
  readonly cadence: Cadence;
  /** fp16's dynamic (or static) loss scaler; null in fp32 and bf16. */
  readonly lossScaler: LossScaler | null;
  readonly step: TrainStep;
  readonly train: MicroBatchStream;
  readonly valid: MicroBatchStream | null;
  readonly test: MicroBatchStream | null;
  /** train_iters, or len(train_loader) · train_epochs // gas for a run by epochs. */
  readonly trainIters: number;
  iteration = 0;
  optimizerStep = 0;
  skipped = 0;
  /** This process's data-parallel rank and the data-parallel size. */
  readonly dpRank: number;
  readonly dpSize: number;
  private readonly dp: DataParallel | null;
  /** ZeRO stage 1 or 2 with more than one rank; null otherwise. */
  private readonly zero: ZeroSharded | null;
  private readonly sync: GradSync | null;
  private readonly log: (line: string) => void;

  constructor(
    readonly resolved: ResolvedConfig,
    readonly data: TrainData,
    readonly monitor: Monitor,
    readonly opts: TrainerOptions = {},
  ) {
    this.settings = trainSettings(resolved);
    const s = this.settings;
    this.log = opts.log ?? (() => {});
    this.dp = opts.dataParallel ?? null;
    this.dpRank = this.dp?.rank ?? 0;
    this.dpSize = this.dp?.size ?? 1;
    if (s.dataParallel !== this.dpSize)
      throw new TrainConfigError(
        "num_gpus",
        `the config was derived for a data-parallel size of ${s.dataParallel} but ${this.dpSize} process(es) run it; derive it at the launched world size`,
      );
    const build: BuildOptions = {
      lowp: s.precision === "fp32" ? false : s.precision === "bf16" ? "bf16" : "f16",
    };
    this.model = GptNeoXModel.fromConfig(resolved, build);
    const stage = s.zeroStage;
    this.zero =
      this.dp && this.dpSize > 1 && stage > 0
        ? new ZeroSharded(this.model, this.dp, stage as 1 | 2, s.buckets)
        : null;
    this.sync =
      this.zero?.sync ??
      (this.dp && this.dpSize > 1
        ? new AllReduceSync(this.dp.group, this.model.registry.flat, s.buckets)
        : null);
    const sync = this.sync;
    this.optimizer = buildOptimizer(this.model, s.optimizer, this.zero?.shard);
    if (this.zero) {
      this.zero.adopt(this.optimizer);
      const { lo, hi } = this.zero.range;
      const what = stage === 1 ? "the optimizer state" : "the optimizer state and gradients";
      const verb = stage === 1 ? "is" : "are";
      this.log(
        `ZeRO stage ${stage}: ${what} of ${this.model.registry.numel} parameters ${verb} sharded over ${this.dpSize} ranks (rank 0: ${hi - lo} elements)`,
      );
    }
    const stream = (src: SampleSource | null) =>
      src
        ? new MicroBatchStream(src, {
            micro: s.micro,
            dpRank: this.dpRank,
            dpSize: this.dpSize,
            maskEod: s.eodMaskLoss ? data.eod : null,
          })
        : null;
    this.train = stream(data.train)!;
    this.valid = stream(data.valid);
    this.test = stream(data.test);
    this.trainIters = s.trainIters ?? trainItersFromEpochs(this.train.length, s.trainEpochs!, s.gas);
    if (this.trainIters < 1)
      throw new TrainConfigError(
        "train_epochs",
        `train_epochs = ${s.trainEpochs} of ${this.train.length} micro-batches at gradient_accumulation_steps ${s.gas} gives no iteration`,
      );
    this.scheduler = annealingLRFromConfig(resolved, { trainIters: this.trainIters });
    this.lossScaler = lossScalerFromConfig(resolved);
    this.cadence = cadenceFromConfig(resolved, { trainIters: this.trainIters });
    this.step = new TrainStep(this.model, this.optimizer, {
      micro: s.micro,
      T: s.seqLength,
      gas: s.gas,
      planned: opts.planned ?? true,
      lossScaled: this.lossScaler !== null,
      sync,
    });
    if (sync)
      this.log(
        `data parallel: ${sync.buckets.buckets.length} gradient bucket(s) of up to ${s.buckets.bucketSize} elements, ${s.buckets.overlap ? "reduced as the backward completes them (overlap_comm)" : "reduced after the backward"}`,
      );
  }

  /** Milliseconds spent blocked on the data-parallel collectives so far (0 for one process). */
  get commWaitMs(): number {
    return this.sync?.waitedMs ?? 0;
  }

  /** Resumes from `load` when it holds a checkpoint; returns the line saying what happened. */
  resume(): string | null {
    const s = this.settings;
    if (s.save && this.dpRank === 0) {
      const stale = removeStaleCheckpointTemps(s.save);
      if (stale.length > 0)
        this.log(`removed ${stale.length} unfinished checkpoint(s) of an earlier run: ${stale.join(", ")}`);
    }
    if (!s.load) return null;
    const r = loadCheckpoint(this);
    if (r) this.log(r);
    return r;
  }

  async run(): Promise<TrainResult> {
    const s = this.settings;
    const host = allocMicroBatch(s.micro, s.seqLength);
    const losses: number[] = [];
    let checkpoint: string | null = null;
    let lastValidation: number | null = null;
    let reason: StopReason = "done";
    let interval = { seconds: 0, iterations: 0 };

    while (this.iteration < this.trainIters) {
      const t0 = performance.now();
      const { out, scale } = await this.trainIteration(host);
      interval = {
        seconds: interval.seconds + (performance.now() - t0) / 1000,
        iterations: interval.iterations + 1,
      };
      losses.push(out.loss);

      const metrics: Record<string, number> = {
        [METRIC.lmLoss]: out.loss,
        [METRIC.learningRate]: this.scheduler.lr(),
        [METRIC.gradNorm]: out.gradNorm,
      };
      if (this.lossScaler) metrics[METRIC.lossScale] = scale;
      if (this.iteration % s.logInterval === 0 || this.iteration === this.trainIters) {
        Object.assign(metrics, this.runtime(interval.seconds / interval.iterations));
        interval = { seconds: 0, iterations: 0 };
      }
      this.monitor.log(this.iteration, metrics);

      // Evaluation before the save (GPT-NeoX saves first): the checkpoint then holds the validation
      // stream's position after this evaluation, so a resumed run evaluates the same batches.
      if (this.valid && isEvalIteration(this.iteration, this.cadence.eval)) {
        lastValidation = await this.evaluate("validation");
      }
      const last = this.iteration >= this.trainIters;
      const exit = isExitIteration(this.iteration, this.cadence.exitInterval);
      await new Promise((resolve) => setImmediate(resolve)); // let signal handlers run
      // every rank stops at the same iteration, or the others would wait in the next all-reduce
      const asked = this.opts.shouldStop?.() === true;
      const stop = this.dp ? (await this.dp.mean(asked ? 1 : 0)) > 0 : asked;
      if (s.save && (last || exit || stop || this.cadence.saveIters.has(this.iteration))) {
        // ZeRO-1/2: every rank takes part in gathering the full optimizer state rank 0 writes
        if (this.zero && !s.noSaveOptim) await this.zero.gatherState(this.optimizer);
        if (this.dpRank === 0) {
          checkpoint = saveTrainerCheckpoint(this);
          this.monitor.event("checkpoint", `saved ${checkpoint}`, this.iteration);
          this.monitor.flush();
        }
        if (this.zero) gatheredState.delete(this.optimizer);
      }
      if (stop) {
        reason = "interrupted";
        break;
      }
      if (exit && !last) {
        reason = "exit_interval";
        break;
      }
    }
    if (reason === "done" && this.test && this.cadence.eval.iters > 0) await this.evaluate("test");
    this.monitor.flush();
    return { iteration: this.iteration, reason, checkpoint, losses, lastValidation };
  }

  // One iteration: the gas micro-batches written, the step numbers set, the planned step run, then
  // the counters, the scheduler (not on a skipped step, as DeepSpeed) and the loss scaler updated.
  private async trainIteration(host: MicroBatchHost): Promise<{ out: StepOutcome; scale: number }> {
    const s = this.settings;
    for (let m = 0; m < s.gas; m++) {
      this.train.next(host);
      this.step.write(m, host);
    }
    const scale = this.lossScaler?.scale ?? 1;
    if (this.lossScaler) this.step.setLossScale(scale);
    this.optimizer.scalars.set({
      lr: this.scheduler.lr(),
      step: this.optimizerStep + 1,
      unscale: 1 / (s.gas * scale),
      maxNorm: s.clip,
    });
    // micro-batch m of rank r is global micro-batch m·dp + r (batches.ts): one process running the
    // same global batch at gas·dp draws the same masks
    for (let m = 0; m < s.gas; m++)
      this.model.dropout.seeds[m]!.value = dropoutSeed(
        s.seed,
        this.iteration + 1,
        m * this.dpSize + this.dpRank,
      );
    const out = this.zero
      ? await this.zero.run(this.step, this.optimizer)
      : this.dp && this.dpSize > 1
        ? await this.step.runReduced()
        : this.step.run();
    this.iteration++;
    if (out.skipped) this.skipped++;
    else {
      this.optimizerStep++;
      this.scheduler.step();
    }
    // fp16: an overflow halves the scale (after hysteresis); 50 in a row stop the run.
    this.lossScaler?.update(out.skipped, this.iteration);
    if (!Number.isFinite(out.loss) && !(this.lossScaler && out.skipped))
      throw new Error(
        `iteration ${this.iteration}: the loss is ${out.loss} (micro-batch losses ${out.losses.join(", ")}); stopping`,
      );
    return { out, scale };
  }

  // GPT-NeoX's runtime/* metrics for a mean iteration time.
  private runtime(iterationSeconds: number): Record<string, number> {
    const s = this.settings;
    return runtimeMetrics({
      train_batch_size: s.globalBatch,
      seq_length: s.seqLength,
      num_layers: this.model.spec.L,
      hidden_size: this.model.spec.C,
      padded_vocab_size: this.model.spec.V,
      iteration_time: iterationSeconds,
      world_size: s.dataParallel,
      checkpoint_activations: s.checkpointActivations,
      peak_theoretical_tflops: s.peakTflops,
    });
  }

  /**
   * Runs eval_iters × gas micro-batches of a split without gradients (each rank its slice); logs
   * and returns the mean loss over the ranks.
   */
  async evaluate(which: "validation" | "test"): Promise<number> {
    const stream = which === "validation" ? this.valid! : this.test!;
    const mine = evaluate(this.model, stream, this.cadence.eval.iters * this.settings.gas);
    const loss = this.dp ? await this.dp.mean(mine) : mine;
    const [lossKey, pplKey] =
      which === "validation"
        ? [METRIC.validationLmLoss, METRIC.validationLmLossPpl]
        : [METRIC.testLmLoss, METRIC.testLmLossPpl];
    this.monitor.log(this.iteration, { [lossKey]: loss, [pplKey]: Math.exp(loss) });
    return loss;
  }

  dispose(): void {
    this.step.dispose();
    this.optimizer.dispose();
    this.zero?.dispose();
    this.model.dispose();
  }
}

/**
 * The dropout seed of micro-batch m of an iteration: a pure function of (seed, iteration, m), so a
 * resumed run draws the same masks. An integer below 2^53 from two rounds of a 32-bit mixer.
 */
export function dropoutSeed(seed: number, iteration: number, m = 0): number {
  const hi = mix32((seed >>> 0) ^ mix32(iteration >>> 0));
  const lo = mix32(hi ^ Math.imul(m + 1, 0x9e3779b9));
  return hi * 2 ** 21 + (lo >>> 11);
}

// murmur3's 32-bit finaliser.
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
