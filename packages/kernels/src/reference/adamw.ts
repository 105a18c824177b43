// Float64 reference for kernels/cpu/adamw.cc, torch.optim.AdamW's single-tensor update:
//   p ← p·(1 - lr·wd);  g ← grad·gradScale;  m ← m + (1-β1)(g - m);  v ← β2·v + (1-β2)·g²
//   p ← p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)        (t = step, from 1)

export interface AdamWRefTensor {
  param: Float64Array;
  grad: Float64Array;
  m: Float64Array;
  v: Float64Array;
  weightDecay: number;
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
  gradScale: number;
}

export function adamwStep(tensors: AdamWRefTensor[], h: AdamWHyper): void {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  for (const t of tensors) {
    for (let i = 0; i < t.param.length; i++) {
      const g = t.grad[i]! * h.gradScale;
      const m = t.m[i]! + (1 - h.beta1) * (g - t.m[i]!);
      const v = h.beta2 * t.v[i]! + (1 - h.beta2) * g * g;
      const p = t.param[i]! * (1 - h.lr * t.weightDecay);
      t.param[i] = p - (h.lr / bc1) * (m / (Math.sqrt(v) / Math.sqrt(bc2) + h.eps));
      t.m[i] = m;
      t.v[i] = v;
    }
  }
}
