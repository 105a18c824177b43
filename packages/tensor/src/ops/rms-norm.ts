// RMS norm over the last dimension, GPT-NeoX `norm: rmsnorm` and Llama's: y = x·rsqrt(mean(x²) +
// eps)·scale, eps inside the root (GPT-NeoX since #1345, as HF), statistics in fp32. x is f32 or
// bf16 (the output keeps x's dtype; the weight and the saved 1/rms stay fp32). Kernel:
// kernels/cpu/rms-norm.cc; its backward is in grad-rules.ts ("rmsNorm").

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

/** GPT-NeoX's default rms_norm_epsilon (Llama configs set 1e-6 or 1e-5). */
export const RMS_NORM_EPS = 1e-8;

export function rmsNorm(x: Tensor, weight: Tensor | null, eps = RMS_NORM_EPS): Tensor {
  const c = x.size(-1);
  const n = x.numel / c;
  if (x.dtype !== "f32" && x.dtype !== "bf16") throw new Error(`rmsNorm: ${x} must be f32 or bf16`);
  if (weight && (weight.ndim !== 1 || weight.size(0) !== c || weight.dtype !== "f32"))
    throw new Error(`rmsNorm: weight ${weight} must be f32 [${c}]`);
  const xc = dense(x);
  const out = Tensor.empty(x.shape, { dtype: x.dtype, device: x.device });
  const rstd = Tensor.empty([n], { device: x.device });
  const args = { out, rstd, inp: xc, weight, N: n, C: c, eps };
  if (x.dtype === "bf16") k.rmsnormForwardBf16(x.backend, args);
  else k.rmsnormForward(x.backend, args);
  record("rmsNorm", [x, weight], [out], [xc, weight ?? xc, rstd], { n, c, affine: weight !== null });
  rstd.dispose();
  return out;
}
