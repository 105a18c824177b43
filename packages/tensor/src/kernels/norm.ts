// Layer norm and RMS norm over the last dimension (kernels/cpu/layer-norm.h, rms-norm.h). N rows,
// C channels. Optional buffers take null: weight/bias (non-parametric), mean/rstd (inference),
// dweight/dbias (frozen). Parameter gradients accumulate (+=); dinp is overwritten. The Bf16
// variants take bf16 activations (out, inp, dout, dinp); weights and statistics stay fp32.

import { declareKernels, type Signature } from "./kernel";

const rmsnorm = (act: "f32" | "bf16") => ({
  forward: {
    out: `out ${act}`,
    rstd: "out? f32",
    inp: `in ${act}`,
    weight: "in? f32",
    N: "size",
    C: "size",
    eps: "scalar",
  } as const satisfies Signature,
  backward: {
    dinp: `out ${act}`,
    dweight: "inout? f32",
    dout: `in ${act}`,
    inp: `in ${act}`,
    weight: "in? f32",
    rstd: "in f32",
    N: "size",
    C: "size",
  } as const satisfies Signature,
});

export const NORM = declareKernels({
  /** torch.nn.LayerNorm: biased variance, eps inside the root */
  layernormForward: {
    out: "out f32",
    mean: "out? f32",
    rstd: "out? f32",
    inp: "in f32",
    weight: "in? f32",
    bias: "in? f32",
    N: "size",
    C: "size",
    eps: "scalar",
  },
  layernormBackward: {
    dinp: "out f32",
    dweight: "inout? f32",
    dbias: "inout? f32",
    dout: "in f32",
    inp: "in f32",
    weight: "in? f32",
    mean: "in f32",
    rstd: "in f32",
    N: "size",
    C: "size",
  },
  /** x·rsqrt(mean(x²) + eps)·weight (eps inside the root, GPT-NeoX since #1345, as HF) */
  rmsnormForward: rmsnorm("f32").forward,
  rmsnormBackward: rmsnorm("f32").backward,
  rmsnormForwardBf16: rmsnorm("bf16").forward,
  rmsnormBackwardBf16: rmsnorm("bf16").backward,
});
