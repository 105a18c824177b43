// Typed wrappers for the fused softmax cross-entropy (kernels/cpu/cross-entropy.h).
import { type Address, bindNative } from "./bind";

/**
 * loss[0] = Σ CE·m / Σ m (fp32; 0 when Σm = 0), m = mask·[target >= 0]. losses (CE per row), lse
 * (log-sum-exp per row, needed by the backward) and mask may be 0. targets are int32; negative
 * marks an ignored row, >= V throws naming the row.
 */
export const crossEntropyForward =
  bindNative<
    (
      loss: Address,
      losses: Address,
      lse: Address,
      logits: Address,
      targets: Address,
      mask: Address,
      N: number,
      V: number,
    ) => void
  >("crossEntropyForward");
/**
 * Training's loss and gradient in one call, reading the logits from memory once: loss (and losses
 * when non-zero) as crossEntropyForward, dlogits as crossEntropyBackward with upstream dloss.
 * dlogits may be logits itself: the logits buffer then holds their gradient.
 */
export const crossEntropyFused =
  bindNative<
    (
      loss: Address,
      losses: Address,
      dlogits: Address,
      logits: Address,
      targets: Address,
      mask: Address,
      /** Address of one f32: the upstream gradient (read from memory at each call). */
      dloss: Address,
      N: number,
      V: number,
    ) => void
  >("crossEntropyFused");
/** dlogits = *dloss·m/Σm·(softmax - onehot); dlogits may be logits itself (in place). */
export const crossEntropyBackward =
  bindNative<
    (
      dlogits: Address,
      logits: Address,
      lse: Address,
      targets: Address,
      mask: Address,
      /** Address of one f32: the upstream gradient (read from memory at each call). */
      dloss: Address,
      N: number,
      V: number,
    ) => void
  >("crossEntropyBackward");
