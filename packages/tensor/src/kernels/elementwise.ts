// Element-wise kernels (kernels/cpu/{fill,reduce,bias-add,residual,gelu,relu,silu,glu,dropout}.h) and the
// backend's own byte copies, declared once for the typed launchers (kernel.ts). Argument order
// is the native one: outputs, inputs, sizes. Parameter gradients (dbias) accumulate; activation
// gradients are overwritten.

import { declareKernels } from "./kernel";

export const ELEMENTWISE = declareKernels({
  // Every backend provides these two itself (REQUIRED_KERNELS in backend.ts).
  memcpy: { dst: "out bytes", src: "in bytes", bytes: "size" },
  memset0: { dst: "out bytes", bytes: "size" },

  fillF32: { out: "out f32", value: "scalar", n: "size" },
  /** out = alpha·inp (out may alias inp) */
  scaleF32: { out: "out f32", inp: "in f32", alpha: "scalar", n: "size" },
  /** out = a + alpha·b (out may alias a or b: accumulates gradients) */
  axpyF32: { out: "out f32", a: "in f32", b: "in f32", alpha: "scalar", n: "size" },
  copyF32: { out: "out f32", inp: "in f32", n: "size" },
  /** dense out (D0, D1, D2, D3) from inp at element strides (s0, s1, s2, s3) */
  copyStridedF32: {
    out: "out f32",
    inp: "in f32",
    D0: "size",
    D1: "size",
    D2: "size",
    D3: "size",
    s0: "size",
    s1: "size",
    s2: "size",
    s3: "size",
  },
  castF32ToBf16: { out: "out bf16", inp: "in f32", n: "size" },
  castBf16ToF32: { out: "out f32", inp: "in bf16", n: "size" },
  castF32ToF16: { out: "out f16", inp: "in f32", n: "size" },
  castF16ToF32: { out: "out f32", inp: "in f16", n: "size" },

  /** out[n, c] = inp[n, c] + bias[c] (out may be inp) */
  biasAddForward: { out: "out f32", inp: "in f32", bias: "in f32", N: "size", C: "size" },
  /** dbias[c] += Σ_n dout[n, c] */
  biasAddBackward: { dbias: "inout f32", dout: "in f32", N: "size", C: "size" },
  residualForward: { out: "out f32", a: "in f32", b: "in f32", n: "size" },

  /** exact (erf) GELU, or the tanh approximation of GPT-NeoX's bias_gelu_fusion */
  geluForward: { out: "out f32", inp: "in f32", n: "size", tanhApprox: "flag" },
  geluBackward: { dinp: "out f32", dout: "in f32", inp: "in f32", n: "size", tanhApprox: "flag" },

  /** ReLU max(x, 0); the backward passes dout where inp > 0 (dinp may alias dout) */
  reluForward: { out: "out f32", inp: "in f32", n: "size" },
  reluBackward: { dinp: "out f32", dout: "in f32", inp: "in f32", n: "size" },

  /** SiLU x·σ(x) (GPT-NeoX silu / swish) */
  siluForward: { out: "out f32", inp: "in f32", n: "size" },
  siluBackward: { dinp: "out f32", dout: "in f32", inp: "in f32", n: "size" },

  /** out (N, C) = act(inp[:, C:2C])·inp[:, 0:C]: rows [x ‖ gate]; kind a GLU_KIND of @neox/kernels */
  gluForward: { out: "out f32", inp: "in f32", N: "size", C: "size", kind: "size" },
  /** dinp (N, 2C) from dout (N, C); dinp must not alias inp */
  gluBackward: { dinp: "out f32", dout: "in f32", inp: "in f32", N: "size", C: "size", kind: "size" },

  /** inverted dropout; element i keeps when uniform(seed, offset + i) >= p (dropout.h) */
  dropoutForward: {
    out: "out f32",
    inp: "in f32",
    n: "size",
    p: "scalar",
    seed: "scalar",
    offset: "scalar",
  },
  /** the forward's mask regenerated from the same (seed, offset); dinp may alias dout */
  dropoutBackward: {
    dinp: "out f32",
    dout: "in f32",
    n: "size",
    p: "scalar",
    seed: "scalar",
    offset: "scalar",
  },
});
