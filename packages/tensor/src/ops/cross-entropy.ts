// Fused softmax cross-entropy over the vocabulary, GPT-NeoX's loss: Σ_n CE_n·m_n / Σ_n m_n in fp32,
// a negative target marks an ignored row. Saves each row's log-sum-exp; the backward writes the
// logits gradient in one pass. Kernel: kernels/cpu/cross-entropy.cc.

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

/** logits (..., V) f32, targets (...) i32, optional mask (...) f32. Returns the scalar loss [1]. */
export function crossEntropy(logits: Tensor, targets: Tensor, mask: Tensor | null = null): Tensor {
  const v = logits.size(-1);
  const n = logits.numel / v;
  if (targets.dtype !== "i32" || targets.numel !== n) {
    throw new Error(`crossEntropy: targets ${targets} must be i32 with ${n} elements (one per logits row)`);
  }
  if (mask && (mask.dtype !== "f32" || mask.numel !== n))
    throw new Error(`crossEntropy: mask ${mask} must be f32 [${n}]`);
  const lc = dense(logits);
  const loss = Tensor.empty([1], { device: logits.device });
  const lse = Tensor.empty([n], { device: logits.device });
  k.crossEntropyForward(logits.backend, {
    loss,
    losses: null,
    lse,
    logits: lc,
    targets,
    mask,
    N: n,
    V: v,
  });
  record("crossEntropy", [logits, null, null], [loss], [lc, lse, targets, ...(mask ? [mask] : [])], { n, v });
  lse.dispose();
  return loss;
}
