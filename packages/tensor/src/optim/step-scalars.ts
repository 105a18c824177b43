// The numbers a training step changes between steps, in one small kept fp32 device tensor
// (layout: kernels/cpu/step-scalars.h, STEP_SLOTS in @neox/kernels). The host writes the IN
// slots (lr, step, unscale, maxNorm) before the step, a plain write into a buffer that already
// exists, which a recorded plan allows; the optimizer kernels read them from device memory, so a
// planned step re-reads nothing on the host and a GPU step would need no synchronisation. The
// kernels write the OUT slots (gradNorm, gradScale, foundInf); the host reads them after the step,
// for logging and for fp16 loss scaling (foundInf = a skipped step).

import { STEP_SLOT_COUNT, STEP_SLOTS } from "@neox/kernels";
import { keep } from "../scope";
import { Tensor } from "../tensor";

/** What the host writes before a step; each field is optional in `set`. */
export interface StepInputs {
  /** Learning rate of the coming step. */
  lr: number;
  /** Optimizer step t, from 1, counting applied steps (Adam's bias correction, SGD's first step). */
  step: number;
  /** Raw accumulated gradient → true mean gradient: 1/(grad_accum_steps · loss_scale). */
  unscale: number;
  /** clip_grad_norm_'s max_norm; <= 0 turns clipping off. */
  maxNorm: number;
}

/** What the kernels wrote during the step, plus the inputs it ran with. */
export interface StepOutputs extends StepInputs {
  /** Global L2 norm of the true gradient (after unscale, before clipping); NaN/Inf when foundInf. */
  gradNorm: number;
  /** The multiplier the optimizer applied to every raw gradient: unscale · clipping coefficient. */
  gradScale: number;
  /** A gradient was NaN or Inf: params and optimizer state were left untouched. */
  foundInf: boolean;
}

const IN_KEYS = ["lr", "step", "unscale", "maxNorm"] as const;
// fp32 holds every integer up to 2^24 exactly; the step slot must not round.
const MAX_STEP = 2 ** 24;

export class StepScalars {
  /** The device buffer the kernels read and write (STEP_SLOT_COUNT fp32 elements). */
  readonly tensor: Tensor;
  // The IN slots as last written, so set() can write them all without reading the device back.
  private readonly inputs = new Float32Array(IN_KEYS.length);

  constructor(initial: Partial<StepInputs> = {}) {
    // IN slots are 0..3 in STEP_SLOTS; set() writes them as one block.
    IN_KEYS.forEach((key, i) => {
      if (STEP_SLOTS[key] !== i)
        throw new Error(`StepScalars: slot ${key} is ${STEP_SLOTS[key]}, expected ${i}`);
    });
    this.tensor = keep(Tensor.empty([STEP_SLOT_COUNT]));
    // gradScale starts at 1, so an update() launched without prepareGrads() applies raw gradients.
    const init = new Float32Array(STEP_SLOT_COUNT);
    init[STEP_SLOTS.gradScale] = 1;
    this.tensor.write(init);
    this.set({ unscale: 1, maxNorm: 0, ...initial });
  }

  /** The host-side value of an IN slot, as last set (no device read). */
  get(key: keyof StepInputs): number {
    return this.inputs[STEP_SLOTS[key]]!;
  }

  /** Write IN slots before a step (or before `plan.run()`). Refuses values a kernel cannot use. */
  set(values: Partial<StepInputs>): void {
    for (const key of IN_KEYS) {
      const v = values[key];
      if (v === undefined) continue;
      if (!Number.isFinite(v)) throw new Error(`StepScalars.set: ${key} must be a finite number, got ${v}`);
      if (key === "lr" && v < 0) throw new Error(`StepScalars.set: lr must be >= 0, got ${v}`);
      if (key === "step" && !(Number.isInteger(v) && v >= 1 && v <= MAX_STEP))
        throw new Error(
          `StepScalars.set: step must be an integer in [1, ${MAX_STEP}] (t counts from 1), got ${v}`,
        );
      if (key === "unscale" && !(v > 0)) throw new Error(`StepScalars.set: unscale must be > 0, got ${v}`);
      this.inputs[STEP_SLOTS[key]] = v;
    }
    this.tensor.storage.write(this.tensor.offset * 4, this.inputs);
  }

  /** Every slot, read back from the device after a step. */
  read(): StepOutputs {
    const s = this.tensor.toFloat32Array();
    return {
      lr: s[STEP_SLOTS.lr]!,
      step: s[STEP_SLOTS.step]!,
      unscale: s[STEP_SLOTS.unscale]!,
      maxNorm: s[STEP_SLOTS.maxNorm]!,
      gradNorm: s[STEP_SLOTS.gradNorm]!,
      gradScale: s[STEP_SLOTS.gradScale]!,
      foundInf: s[STEP_SLOTS.foundInf]! !== 0,
    };
  }

  dispose(): void {
    this.tensor.dispose();
  }
}
