// Float64 reference for kernels/cpu/global-norm.cc: the global L2 norm of many tensors and
// torch.nn.utils.clip_grad_norm_ (coef = maxNorm/(norm + 1e-6), applied when below 1), and the
// planned step's prepareGrads, which computes the same coefficient without touching the gradients.

export function globalL2Norm(tensors: Float64Array[]): number {
  let s = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) s += t[i]! * t[i]!;
  return Math.sqrt(s);
}

export function scaleTensors(tensors: Float64Array[], alpha: number): void {
  for (const t of tensors) for (let i = 0; i < t.length; i++) t[i] = t[i]! * alpha;
}

/** Scales in place when the norm exceeds maxNorm; returns the norm before scaling. */
export function clipGradNorm(tensors: Float64Array[], maxNorm: number): number {
  const norm = globalL2Norm(tensors);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) scaleTensors(tensors, coef);
  return norm;
}

export interface PreparedGrads {
  /** ‖unscale · grads‖: the true gradient's norm, before clipping (NaN/Inf when foundInf). */
  gradNorm: number;
  /** What the optimizer multiplies raw gradients by: unscale · min(1, maxNorm/(gradNorm + 1e-6)). */
  gradScale: number;
  foundInf: boolean;
}

/** kernels/cpu/global-norm.cc prepare_grads: maxNorm <= 0 turns clipping off. */
export function prepareGrads(grads: Float64Array[], unscale: number, maxNorm: number): PreparedGrads {
  const gradNorm = globalL2Norm(grads) * unscale;
  const foundInf = !Number.isFinite(gradNorm);
  const coef = maxNorm > 0 && !foundInf ? Math.min(1, maxNorm / (gradNorm + 1e-6)) : 1;
  return { gradNorm, gradScale: unscale * coef, foundInf };
}
