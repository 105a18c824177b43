// Fused softmax cross-entropy over the vocabulary, GPT-NeoX's loss: Σ_n CE_n·m_n / Σ_n m_n in fp32,
// a negative target marks an ignored row. crossEntropyTrain computes the gradient in the forward's
// pass (training's one pass over the logits). Saves each row's log-sum-exp; the backward writes the
// logits gradient in one pass. Kernel: kernels/cpu/cross-entropy.cc.

import { isGradEnabled, record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

// Rows n and vocabulary v of the logits, the targets and mask checked against them.
function rowsOf(op: string, logits: Tensor, targets: Tensor, mask: Tensor | null): { n: number; v: number } {
  const v = logits.size(-1);
  const n = logits.numel / v;
  if (targets.dtype !== "i32" || targets.numel !== n)
    throw new Error(`${op}: targets ${targets} must be i32 with ${n} elements (one per logits row)`);
  if (mask && (mask.dtype !== "f32" || mask.numel !== n))
    throw new Error(`${op}: mask ${mask} must be f32 [${n}]`);
  return { n, v };
}

/** logits (..., V) f32, targets (...) i32, optional mask (...) f32. Returns the scalar loss [1]. */
export function crossEntropy(logits: Tensor, targets: Tensor, mask: Tensor | null = null): Tensor {
  const { n, v } = rowsOf("crossEntropy", logits, targets, mask);
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

/**
 * Per-row cross-entropy, -log softmax(logits)[target] for each row (f32 [n]), no tape: scoring
 * (log-likelihoods of given tokens) without bringing V-wide rows to the host. Kernel as crossEntropy.
 */
export function crossEntropyRows(logits: Tensor, targets: Tensor): Tensor {
  const { n, v } = rowsOf("crossEntropyRows", logits, targets, null);
  const lc = dense(logits);
  const loss = Tensor.empty([1], { device: logits.device });
  const losses = Tensor.empty([n], { device: logits.device });
  const lse = Tensor.empty([n], { device: logits.device });
  k.crossEntropyForward(logits.backend, { loss, losses, lse, logits: lc, targets, mask: null, N: n, V: v });
  for (const t of new Set([loss, lse, lc === logits ? null : lc])) t?.dispose();
  return losses;
}

/**
 * Training's loss: crossEntropy whose forward also writes the logits' gradient, scaled by `seed` (a
 * one-element device tensor: the upstream gradient the caller passes to `backward`, 1 or the fp16
 * loss scale), in the same pass over the logits (kernel crossEntropyFused). When the logits are an
 * intermediate (made by an op, as a model's head makes them) their buffer is overwritten by the
 * gradient, so no second N×V buffer exists: read nothing from them afterwards. Leaf logits get a
 * buffer of their own. Without gradients (noGrad, evaluation) it is plain crossEntropy.
 * `backward(loss, seed)` must then be seeded with this same `seed`.
 */
export function crossEntropyTrain(
  logits: Tensor,
  targets: Tensor,
  mask: Tensor | null,
  seed: Tensor,
): Tensor {
  if (!isGradEnabled() || !logits.requiresGrad) return crossEntropy(logits, targets, mask);
  const { n, v } = rowsOf("crossEntropyTrain", logits, targets, mask);
  if (seed.dtype !== "f32" || seed.numel !== 1)
    throw new Error(`crossEntropyTrain: seed ${seed} must be f32 [1]`);
  const inPlace = logits.producer !== null && logits.isContiguous;
  const lc = dense(logits);
  const dlogits = inPlace ? lc : Tensor.empty(lc.shape, { device: logits.device });
  const loss = Tensor.empty([1], { device: logits.device });
  k.crossEntropyFused(logits.backend, {
    loss,
    losses: null,
    dlogits,
    logits: lc,
    targets,
    mask,
    dloss: seed,
    N: n,
    V: v,
  });
  record("crossEntropyFused", [logits, null, null], [loss], [dlogits], {});
  if (!inPlace) dlogits.dispose();
  return loss;
}
