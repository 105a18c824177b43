// The multi-tensor optimizer kernels (kernels/cpu/adamw.h, lion.h, sgd.h, global-norm.h):
// parallel lists of tensors and sizes, and the step-scalars tensor (optim/step-scalars.ts) from
// which every kernel reads the numbers that change between steps (lr, t, grad_scale, found_inf).
// Nothing per-step is a host argument, so a recorded plan replays them without re-reading anything.

import { declareKernels } from "./kernel";

export const OPTIMIZER = declareKernels({
  /** Global norm, clipping coefficient and NaN/Inf flag into the scalars; gradients untouched. */
  prepareGrads: { grads: "in f32[]", sizes: "sizes", scalars: "inout f32" },
  /** torch.optim.AdamW over many tensors in one call, per-tensor weight decay. */
  adamwStep: {
    params: "inout f32[]",
    grads: "in f32[]",
    m: "inout f32[]",
    v: "inout f32[]",
    sizes: "sizes",
    weightDecays: "scalars",
    beta1: "scalar",
    beta2: "scalar",
    eps: "scalar",
    scalars: "in f32",
  },
  /** GPT-NeoX's Lion (megatron/optimizers.py). */
  lionStep: {
    params: "inout f32[]",
    grads: "in f32[]",
    m: "inout f32[]",
    sizes: "sizes",
    weightDecays: "scalars",
    beta1: "scalar",
    beta2: "scalar",
    scalars: "in f32",
  },
  /** torch.optim.SGD; momentumBuffers is empty when momentum is 0. */
  sgdStep: {
    params: "inout f32[]",
    grads: "in f32[]",
    momentumBuffers: "inout f32[]",
    sizes: "sizes",
    weightDecays: "scalars",
    momentum: "scalar",
    dampening: "scalar",
    nesterov: "flag",
    scalars: "in f32",
  },
});
