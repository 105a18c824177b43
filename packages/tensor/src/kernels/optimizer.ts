// The multi-tensor AdamW step (kernels/cpu/adamw.h): parallel lists of tensors and sizes.

import { declareKernels } from "./kernel";

export const OPTIMIZER = declareKernels({
  /**
   * torch.optim.AdamW over many tensors in one call: per-tensor weight decay, step counted from
   * 1, gradScale multiplies every gradient first (clipping, loss scale).
   */
  adamwStep: {
    params: "inout f32[]",
    grads: "in f32[]",
    m: "inout f32[]",
    v: "inout f32[]",
    sizes: "sizes",
    weightDecays: "scalars",
    lr: "scalar",
    beta1: "scalar",
    beta2: "scalar",
    eps: "scalar",
    step: "scalar",
    gradScale: "scalar",
  },
});
