// Float64 reference for kernels/cpu/sgd.cc, torch.optim.SGD with coupled weight decay:
//   d ← grad·gradScale + wd·p
//   momentum ≠ 0: buf ← d (first step) or momentum·buf + (1-dampening)·d;  d ← d + momentum·buf
//                 (nesterov) or buf
//   p ← p - lr·d

export interface SgdRefTensor {
  param: Float64Array;
  grad: Float64Array;
  /** The momentum buffer; unused (may be empty) when momentum is 0. */
  buf: Float64Array;
  weightDecay: number;
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  gradScale: number;
  /** True at the first step: the momentum buffer starts as the gradient. */
  first: boolean;
}

export function sgdStep(tensors: SgdRefTensor[], h: SgdHyper): void {
  for (const t of tensors) {
    for (let i = 0; i < t.param.length; i++) {
      let d = t.grad[i]! * h.gradScale + t.weightDecay * t.param[i]!;
      if (h.momentum !== 0) {
        const buf = h.first ? d : h.momentum * t.buf[i]! + (1 - h.dampening) * d;
        t.buf[i] = buf;
        d = h.nesterov ? d + h.momentum * buf : buf;
      }
      t.param[i] = t.param[i]! - h.lr * d;
    }
  }
}
