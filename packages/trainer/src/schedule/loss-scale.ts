// fp16 loss scaling as GPT-NeoX runs it: DeepSpeed's DynamicLossScaler (deepspeed/runtime/fp16/
// loss_scaler.py, the scaler ZeRO stages 1-2 create) or a static scale, plus GPT-NeoX's
// OverflowMonitor (megatron/utils.py), which stops training after 50 skipped steps in a row.
//
// DeepSpeed's update, called once per optimizer step (at the gradient-accumulation boundary):
// - overflow: if hysteresis is 1 or cur_hysteresis has counted down to 1, the scale halves (not
//   below min_loss_scale; already at the minimum → error, raise_error_at_min_scale, default on);
//   otherwise cur_hysteresis counts down by one and the scale stays. Either way the step is skipped
//   and last_overflow_iter = cur_iter.
// - no overflow: with consecutive_hysteresis (default off) cur_hysteresis is restored on every clean
//   step; when (cur_iter − last_overflow_iter) % loss_scale_window == 0 the scale doubles and
//   (without consecutive_hysteresis) cur_hysteresis is restored. So after the first halving a
//   clean step alone does not restore the tolerance: the next overflow halves at once, until the
//   scale next grows. last_overflow_iter starts at −1, so the first doubling follows `window`
//   clean steps.
// - cur_iter += 1.
// On an overflow step DeepSpeed also skips the LR scheduler's step (see lr.ts).
import type { ResolvedConfig } from "@neox/config";
import { failKey, finiteAtLeast, wholeOrNull } from "./config-value";

/** GPT-NeoX's OverflowMonitor: this many skipped steps in a row end the run. */
export const MAX_CONSECUTIVE_OVERFLOWS = 50;

export interface LossScalerOptions {
  /** fp16.loss_scale: 0 = dynamic; > 0 a static scale. */
  lossScale: number;
  /** 2^initial_scale_power. */
  initScale: number;
  /** loss_scale_window: clean steps before the scale doubles. */
  scaleWindow: number;
  /** hysteresis (DeepSpeed's delayed_shift): overflows tolerated before the first halving. */
  hysteresis: number;
  consecutiveHysteresis: boolean;
  /** min_loss_scale. */
  minScale: number;
  /** DeepSpeed raise_error_at_min_scale: an overflow at the minimum scale is an error. */
  raiseAtMinScale?: boolean;
}

/** Checkpointed state, with DeepSpeed's field names. */
export interface LossScalerState {
  dynamic: boolean;
  cur_scale: number;
  cur_iter: number;
  last_overflow_iter: number;
  cur_hysteresis: number;
  skipped_steps: number;
}

/** Training cannot go on in fp16: the message names the iteration and what to try. */
export class LossScaleError extends Error {
  constructor(
    readonly iteration: number,
    message: string,
  ) {
    super(message);
    this.name = "LossScaleError";
  }
}

export class LossScaler {
  readonly dynamic: boolean;
  private curScale: number;
  private curIter = 0;
  private lastOverflowIter = -1;
  private curHysteresis: number;
  private skipped = 0;
  // Not checkpointed: GPT-NeoX's OverflowMonitor starts with an empty history on every launch.
  private consecutive = 0;

  constructor(readonly options: Readonly<LossScalerOptions>) {
    this.dynamic = options.lossScale === 0;
    this.curScale = this.dynamic ? options.initScale : options.lossScale;
    this.curHysteresis = options.hysteresis;
  }

  /** The scale to multiply this step's loss by. */
  get scale(): number {
    return this.curScale;
  }
  /** Optimizer steps skipped for overflow (DeepSpeed's skipped_steps). */
  get skippedSteps(): number {
    return this.skipped;
  }
  /** Overflow skips in a row up to now. */
  get consecutiveOverflows(): number {
    return this.consecutive;
  }

  /**
   * After the step of `iteration` (for messages): updates the scale for the next step. Throws a
   * LossScaleError at the minimum scale (dynamic) or on the 50th skip in a row (GPT-NeoX).
   */
  update(overflow: boolean, iteration: number): void {
    if (this.dynamic) this.updateDynamic(overflow, iteration);
    if (!overflow) {
      this.consecutive = 0;
      return;
    }
    this.skipped++;
    this.consecutive++;
    if (this.consecutive >= MAX_CONSECUTIVE_OVERFLOWS)
      throw new LossScaleError(
        iteration,
        `fp16: skipped ${this.consecutive} iterations in a row due to gradient overflow (iterations ${iteration - this.consecutive + 1}-${iteration}, loss scale now ${this.curScale}); stopping as GPT-NeoX does. Lower the learning rate, raise fp16.min_loss_scale, or train with precision: bfloat16`,
      );
  }

  private updateDynamic(overflow: boolean, iteration: number): void {
    const o = this.options;
    if (overflow) {
      if (o.hysteresis === 1 || this.curHysteresis === 1) {
        if (this.curScale === o.minScale && (o.raiseAtMinScale ?? true))
          throw new LossScaleError(
            iteration,
            `fp16: gradients overflowed at iteration ${iteration} with the loss scale already at fp16.min_loss_scale (${o.minScale}); it cannot decrease further. Lower the learning rate or train with precision: bfloat16`,
          );
        this.curScale = Math.max(this.curScale / 2, o.minScale);
      } else {
        this.curHysteresis--;
      }
      this.lastOverflowIter = this.curIter;
    } else {
      if (o.consecutiveHysteresis) this.curHysteresis = o.hysteresis;
      if ((this.curIter - this.lastOverflowIter) % o.scaleWindow === 0) {
        if (!o.consecutiveHysteresis) this.curHysteresis = o.hysteresis;
        this.curScale *= 2;
      }
    }
    this.curIter++;
  }

  stateDict(): LossScalerState {
    return {
      dynamic: this.dynamic,
      cur_scale: this.curScale,
      cur_iter: this.curIter,
      last_overflow_iter: this.lastOverflowIter,
      cur_hysteresis: this.curHysteresis,
      skipped_steps: this.skipped,
    };
  }

  loadStateDict(sd: LossScalerState): void {
    if (sd.dynamic !== this.dynamic)
      throw new LossScaleError(
        sd.cur_iter,
        `loss scaler state: the checkpoint's scaling is ${sd.dynamic ? "dynamic" : "static"} but this run's fp16.loss_scale makes it ${this.dynamic ? "dynamic" : "static"}`,
      );
    for (const f of [
      "cur_scale",
      "cur_iter",
      "last_overflow_iter",
      "cur_hysteresis",
      "skipped_steps",
    ] as const)
      if (typeof sd[f] !== "number" || !Number.isFinite(sd[f]))
        throw new LossScaleError(
          0,
          `loss scaler state: ${f} must be a finite number, got ${JSON.stringify(sd[f])}`,
        );
    this.curScale = sd.cur_scale;
    this.curIter = sd.cur_iter;
    this.lastOverflowIter = sd.last_overflow_iter;
    this.curHysteresis = sd.cur_hysteresis;
    this.skipped = sd.skipped_steps;
    this.consecutive = 0;
  }
}

/** DeepSpeed's fp16 config defaults (runtime/constants.py). */
const DS_DEFAULTS = { initial_scale_power: 16, loss_scale_window: 1000, hysteresis: 2, min_loss_scale: 1 };
const DYNAMIC_KEYS = [
  "initial_scale_power",
  "loss_scale_window",
  "min_loss_scale",
  "hysteresis",
  "consecutive_hysteresis",
];

/**
 * The scaler for an fp16 config; null for bf16 and fp32 (no scaling, no overflow skips). When the
 * fp16 dict names none of the dynamic keys, DeepSpeed passes no dynamic_loss_args and gets
 * DynamicLossScaler()'s own defaults: 2^32, window 1000, min 1, hysteresis 1 (not the config
 * defaults 2^16 and hysteresis 2 that apply once any one key is given).
 */
export function lossScalerFromConfig(r: ResolvedConfig): LossScaler | null {
  if (r.derived.precision !== "fp16") return null;
  const fp16 = (r.derived.fp16 ?? {}) as Record<string, unknown>;
  const lossScale = finiteAtLeast(r, "fp16.loss_scale", fp16.loss_scale ?? 0, 0);
  if (!DYNAMIC_KEYS.some((k) => k in fp16))
    return new LossScaler({
      lossScale,
      initScale: 2 ** 32,
      scaleWindow: 1000,
      hysteresis: 1,
      consecutiveHysteresis: false,
      minScale: 1,
    });
  const whole = (k: keyof typeof DS_DEFAULTS, lo: number) =>
    wholeOrNull(r, `fp16.${k}`, fp16[k], lo) ?? DS_DEFAULTS[k];
  const power = whole("initial_scale_power", 0);
  if (!Number.isFinite(2 ** power)) failKey(r, "fp16.initial_scale_power", power, "2^power must be finite");
  const consecutive = fp16.consecutive_hysteresis ?? false;
  if (typeof consecutive !== "boolean")
    failKey(r, "fp16.consecutive_hysteresis", consecutive, "expected true or false");
  const minScale = fp16.min_loss_scale ?? DS_DEFAULTS.min_loss_scale;
  if (typeof minScale !== "number" || !Number.isFinite(minScale) || !(minScale > 0))
    failKey(r, "fp16.min_loss_scale", minScale, "expected a finite number > 0");
  return new LossScaler({
    lossScale,
    initScale: 2 ** power,
    scaleWindow: whole("loss_scale_window", 1),
    hysteresis: whole("hysteresis", 1),
    consecutiveHysteresis: consecutive,
    minScale,
  });
}
