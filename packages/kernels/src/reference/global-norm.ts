// Float64 reference for kernels/cpu/global-norm.cc: the global L2 norm of many tensors and
// torch.nn.utils.clip_grad_norm_ (coef = maxNorm/(norm + 1e-6), applied when below 1).

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
