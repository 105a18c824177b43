// Float64 reference for kernels/cpu/lion.cc, GPT-NeoX's Lion (megatron/optimizers.py, Lion.update_fn):
//   p ← p·(1 - lr·wd);  g ← grad·gradScale;  c ← β1·m + (1-β1)·g;  p ← p - lr·sign(c)
//   m ← β2·m + (1-β2)·g                                     (sign(0) = 0, as torch.sign)

export interface LionRefTensor {
  param: Float64Array;
  grad: Float64Array;
  m: Float64Array;
  weightDecay: number;
}

export interface LionHyper {
  lr: number;
  beta1: number;
  beta2: number;
  gradScale: number;
}

export function lionStep(tensors: LionRefTensor[], h: LionHyper): void {
  for (const t of tensors) {
    for (let i = 0; i < t.param.length; i++) {
      const g = t.grad[i]! * h.gradScale;
      const c = h.beta1 * t.m[i]! + (1 - h.beta1) * g;
      t.param[i] = t.param[i]! * (1 - h.lr * t.weightDecay) - h.lr * Math.sign(c);
      t.m[i] = h.beta2 * t.m[i]! + (1 - h.beta2) * g;
    }
  }
}
