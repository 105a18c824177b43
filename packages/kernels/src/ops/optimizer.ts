// Typed wrappers for the multi-tensor optimizer kernels (kernels/cpu/adamw.h, lion.h, sgd.h,
// global-norm.h). Tensors are parallel arrays of addresses and element counts. The optimizer
// steps read lr, t, grad_scale and found_inf from a step-scalars buffer (kernels/cpu/
// step-scalars.h, slot order in STEP_SLOTS below) whose address is their last argument.
import { type Address, bindNative } from "./bind";

/** Slot indices of the fp32 step-scalars buffer, as kernels/cpu/step-scalars.h numbers them. */
export const STEP_SLOTS = {
  lr: 0,
  step: 1,
  unscale: 2,
  maxNorm: 3,
  gradNorm: 4,
  gradScale: 5,
  foundInf: 6,
} as const;
/** Elements of the step-scalars buffer (two spare). */
export const STEP_SLOT_COUNT = 8;

/**
 * torch.optim.AdamW over many tensors in one call; per-tensor weight decay (0 for the no-decay
 * group). lr, t (from 1) and grad_scale come from the scalars buffer; found_inf skips the step.
 */
export const adamwStep =
  bindNative<
    (
      params: Address[],
      grads: Address[],
      m: Address[],
      v: Address[],
      sizes: number[],
      weightDecays: number[],
      beta1: number,
      beta2: number,
      eps: number,
      scalars: Address,
    ) => void
  >("adamwStep");
/** GPT-NeoX's Lion (megatron/optimizers.py); lr, grad_scale and found_inf from the scalars buffer. */
export const lionStep =
  bindNative<
    (
      params: Address[],
      grads: Address[],
      m: Address[],
      sizes: number[],
      weightDecays: number[],
      beta1: number,
      beta2: number,
      scalars: Address,
    ) => void
  >("lionStep");
/**
 * torch.optim.SGD (coupled weight decay, momentum, dampening, nesterov). momentumBuffers has one
 * address per tensor, or is empty when momentum is 0. The buffer starts from the gradient at t = 1.
 */
export const sgdStep =
  bindNative<
    (
      params: Address[],
      grads: Address[],
      momentumBuffers: Address[],
      sizes: number[],
      weightDecays: number[],
      momentum: number,
      dampening: number,
      nesterov: boolean,
      scalars: Address,
    ) => void
  >("sgdStep");
/**
 * The planned step's gradient pass: reads unscale and maxNorm from the scalars buffer, writes
 * gradNorm, gradScale (unscale · clipping coefficient) and foundInf. The gradients are not changed.
 */
export const prepareGrads =
  bindNative<(grads: Address[], sizes: number[], scalars: Address) => void>("prepareGrads");
/** sqrt(Σ x²) over every tensor (fp64 accumulation, independent of the thread count). */
export const globalL2Norm = bindNative<(tensors: Address[], sizes: number[]) => number>("globalL2Norm");
/** torch.nn.utils.clip_grad_norm_: scales by maxNorm/(norm + 1e-6) when below 1; returns the norm. */
export const clipGradNorm =
  bindNative<(tensors: Address[], sizes: number[], maxNorm: number) => number>("clipGradNorm");
export const scaleTensors =
  bindNative<(tensors: Address[], sizes: number[], alpha: number) => void>("scaleTensors");
