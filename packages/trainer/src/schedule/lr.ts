// GPT-NeoX's AnnealingLR (megatron/learning_rates.py at ea7aefd, neox-spec §1.2): linear warmup,
// then linear, cosine, exponential or constant decay, floored at min_lr.
//
// How the training loop drives it, as GPT-NeoX and DeepSpeed do:
// - it is constructed and immediately set to step(0), so the first update uses lr(0), which is
//   start·1/warmup_iter (not 0: GPT-NeoX #1379);
// - DeepSpeed calls step() once per successful optimizer step (at the gradient-accumulation
//   boundary, after optimizer.step()), and not on a step skipped for fp16 overflow, so num_iters
//   can lag the iteration count;
// - `train/learning_rate` is read from the optimizer after that iteration's scheduler step: the
//   value logged for iteration k (counting from 1, no skips) is lr() with num_iters = k, while the
//   update of iteration k used num_iters = k − 1.
import type { ResolvedConfig } from "@neox/config";
import { failKey, finiteAtLeast, ScheduleConfigError } from "./config-value";

export type DecayStyle = "linear" | "cosine" | "exponential" | "constant";
const DECAY_STYLES: readonly DecayStyle[] = ["linear", "cosine", "exponential", "constant"];

/**
 * GPT-NeoX's exponential decay writes 0.693, not ln 2: exp(−0.693) = 0.50007, so the rate at the
 * decay end is a hair above half. Kept to reproduce its numbers.
 */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: GPT-NeoX's literal, deliberately not Math.LN2
export const NEOX_HALF_LIFE = 0.693;

/** AnnealingLR's state dict, with GPT-NeoX's field names (saved in checkpoints). */
export interface AnnealingLRState {
  start_lr: number;
  warmup_iter: number;
  num_iters: number;
  decay_style: DecayStyle;
  end_iter: number;
  min_lr: number;
}

export interface AnnealingLROptions {
  startLr: number;
  /** warmup × end_iter; may be fractional, as GPT-NeoX computes it. */
  warmupIter: number;
  /** lr_decay_iters as resolved (lr_decay_fraction, else lr_decay_iters, else train_iters). */
  endIter: number;
  decayStyle: DecayStyle;
  minLr?: number;
  /** On load, take the checkpoint's schedule values (no equality check). */
  useCheckpointLrScheduler?: boolean;
  /** On load, keep this run's schedule values and take only num_iters from the checkpoint. */
  overrideLrScheduler?: boolean;
}

export class AnnealingLR {
  private startLr: number;
  private warmupIter: number;
  private endIter: number;
  private decayStyle: DecayStyle;
  private minLr: number;
  private numIters = 0;
  private readonly useCheckpoint: boolean;
  private readonly override: boolean;

  constructor(o: AnnealingLROptions) {
    if (!(o.endIter > 0))
      throw new ScheduleConfigError("lr_decay_iters", `AnnealingLR: end_iter must be > 0, got ${o.endIter}`);
    this.startLr = o.startLr;
    this.warmupIter = o.warmupIter;
    this.endIter = o.endIter;
    this.decayStyle = o.decayStyle;
    this.minLr = o.minLr ?? 0;
    this.useCheckpoint = o.useCheckpointLrScheduler ?? false;
    this.override = o.overrideLrScheduler ?? false;
    if (this.override && this.useCheckpoint)
      throw new ScheduleConfigError(
        "override_lr_scheduler",
        "override_lr_scheduler and use_checkpoint_lr_scheduler are both set; choose one",
      );
    this.step(0);
  }

  /** The optimizer steps taken (the scheduler's num_iters). */
  get iterations(): number {
    return this.numIters;
  }

  /** GPT-NeoX get_lr() at the current num_iters. */
  lr(): number {
    const n = this.numIters;
    const W = this.warmupIter;
    // Warmup counts from max(1, n): step 0 trains at start/W, not 0 (GPT-NeoX #1379).
    if (W > 0 && n <= W) return (this.startLr * Math.max(1, n)) / W;
    const np = n - W;
    const E = this.endIter - W;
    let lr: number;
    switch (this.decayStyle) {
      case "linear":
        lr = (this.startLr * (E - np)) / E;
        break;
      case "cosine":
        // No clamp at the decay end: past end_iter the cosine rises again, as at ea7aefd.
        lr = this.minLr + ((this.startLr - this.minLr) / 2) * (Math.cos((Math.PI * np) / E) + 1);
        break;
      case "exponential":
        // the rate (almost exactly) halves over the decay window
        lr = this.startLr * Math.exp((-NEOX_HALF_LIFE * np) / E);
        break;
      default:
        lr = this.startLr;
    }
    return Math.max(lr, this.minLr);
  }

  /** step(): num_iters + 1; step(n): num_iters = n. Returns the new rate. */
  step(n?: number): number {
    this.numIters = n ?? this.numIters + 1;
    return this.lr();
  }

  stateDict(): AnnealingLRState {
    return {
      start_lr: this.startLr,
      warmup_iter: this.warmupIter,
      num_iters: this.numIters,
      decay_style: this.decayStyle,
      end_iter: this.endIter,
      min_lr: this.minLr,
    };
  }

  /**
   * GPT-NeoX load_state_dict: each schedule value must equal the checkpoint's unless
   * use_checkpoint_lr_scheduler (take the checkpoint's) or override_lr_scheduler (keep ours);
   * num_iters always comes from the checkpoint.
   */
  loadStateDict(sd: AnnealingLRState): void {
    const pick = <T>(field: keyof AnnealingLRState, ours: T, theirs: T): T => {
      if (this.override) return ours;
      if (!this.useCheckpoint && ours !== theirs)
        throw new ScheduleConfigError(
          field,
          `AnnealingLR: the checkpoint's ${field} (${JSON.stringify(theirs)}) differs from this run's (${JSON.stringify(ours)}); set use_checkpoint_lr_scheduler to take the checkpoint's or override_lr_scheduler to keep this run's`,
        );
      return theirs;
    };
    if (!DECAY_STYLES.includes(sd.decay_style))
      throw new ScheduleConfigError(
        "decay_style",
        `AnnealingLR state: unknown decay_style ${JSON.stringify(sd.decay_style)}`,
      );
    for (const f of ["start_lr", "min_lr", "warmup_iter", "end_iter", "num_iters"] as const)
      if (typeof sd[f] !== "number" || !Number.isFinite(sd[f]))
        throw new ScheduleConfigError(
          f,
          `AnnealingLR state: ${f} must be a finite number, got ${JSON.stringify(sd[f])}`,
        );
    this.startLr = pick("start_lr", this.startLr, sd.start_lr);
    this.minLr = pick("min_lr", this.minLr, sd.min_lr);
    this.warmupIter = pick("warmup_iter", this.warmupIter, sd.warmup_iter);
    this.endIter = pick("end_iter", this.endIter, sd.end_iter);
    this.decayStyle = pick("decay_style", this.decayStyle, sd.decay_style);
    this.step(sd.num_iters);
  }
}

/**
 * The schedule a resolved config asks for. `trainIters` supplies train_iters when the config
 * trains by epochs (GPT-NeoX computes it from the data loader, after the config is resolved).
 */
export function annealingLRFromConfig(r: ResolvedConfig, opts: { trainIters?: number } = {}): AnnealingLR {
  const v = r.values;
  const d = r.derived;
  const startLr = finiteAtLeast(r, "optimizer.params.lr", d.lr, 0);
  const style = v.lr_decay_style;
  if (typeof style !== "string" || !DECAY_STYLES.includes(style as DecayStyle))
    failKey(r, "lr_decay_style", style, `expected one of ${DECAY_STYLES.join(", ")}`);
  const minLr = finiteAtLeast(r, "min_lr", v.min_lr ?? 0, 0);
  if (minLr > startLr) failKey(r, "min_lr", minLr, `must be ≤ optimizer.params.lr (${startLr})`);
  const warmup = finiteAtLeast(r, "warmup", v.warmup ?? 0.01, 0);

  let endIter = d.lr_decay_iters;
  if (endIter === null && opts.trainIters !== undefined) {
    const f = v.lr_decay_fraction;
    endIter = typeof f === "number" ? Math.floor(opts.trainIters * f) : opts.trainIters;
  }
  const decayKey =
    v.lr_decay_fraction != null
      ? "lr_decay_fraction"
      : v.lr_decay_iters != null
        ? "lr_decay_iters"
        : "train_iters";
  if (endIter === null)
    failKey(
      r,
      decayKey,
      v[decayKey],
      "the decay length is unknown: set train_iters, lr_decay_iters or lr_decay_fraction",
    );
  if (!(Number.isFinite(endIter) && endIter > 0))
    failKey(r, decayKey, v[decayKey], `the decay length resolves to ${endIter} iterations; it must be > 0`);
  const warmupIter =
    d.lr_decay_iters === endIter && d.warmup_iters !== null ? d.warmup_iters : warmup * endIter;

  if (v.override_lr_scheduler === true && v.use_checkpoint_lr_scheduler === true)
    failKey(
      r,
      "override_lr_scheduler",
      true,
      "cannot be set together with use_checkpoint_lr_scheduler; choose one",
    );
  return new AnnealingLR({
    startLr,
    warmupIter,
    endIter,
    decayStyle: style as DecayStyle,
    minLr,
    useCheckpointLrScheduler: v.use_checkpoint_lr_scheduler === true,
    overrideLrScheduler: v.override_lr_scheduler === true,
  });
}
