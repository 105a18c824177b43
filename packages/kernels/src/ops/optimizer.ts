// Typed wrappers for the multi-tensor optimizer kernels (kernels/cpu/adamw.h, global-norm.h).
// Tensors are parallel arrays of addresses and element counts.
import { type Address, bindNative } from "./bind";

/**
 * torch.optim.AdamW over many tensors in one call; per-tensor weight decay (0 for the no-decay
 * group), step counted from 1, gradScale multiplies every gradient first (clipping, loss scale).
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
      lr: number,
      beta1: number,
      beta2: number,
      eps: number,
      step: number,
      gradScale: number,
    ) => void
  >("adamwStep");
/** sqrt(Σ x²) over every tensor (fp64 accumulation, independent of the thread count). */
export const globalL2Norm = bindNative<(tensors: Address[], sizes: number[]) => number>("globalL2Norm");
/** torch.nn.utils.clip_grad_norm_: scales by maxNorm/(norm + 1e-6) when below 1; returns the norm. */
export const clipGradNorm =
  bindNative<(tensors: Address[], sizes: number[], maxNorm: number) => number>("clipGradNorm");
export const scaleTensors =
  bindNative<(tensors: Address[], sizes: number[], alpha: number) => void>("scaleTensors");
