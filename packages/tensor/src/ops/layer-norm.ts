// Layer norm over the last dimension (torch.nn.LayerNorm, GPT-NeoX `norm: layernorm`); saves the
// per-row mean and 1/std for the backward kernel. Kernel: kernels/cpu/layer-norm.cc.

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const c = x.size(-1);
  const n = x.numel / c;
  for (const p of [weight, bias]) {
    if (p && (p.ndim !== 1 || p.size(0) !== c)) throw new Error(`layerNorm: parameter ${p} must be [${c}]`);
  }
  const xc = dense(x);
  const out = Tensor.empty(x.shape, { device: x.device });
  const mean = Tensor.empty([n], { device: x.device });
  const rstd = Tensor.empty([n], { device: x.device });
  k.layernormForward(x.backend, { out, mean, rstd, inp: xc, weight, bias, N: n, C: c, eps });
  record("layerNorm", [x, weight, bias], [out], [xc, weight ?? xc, mean, rstd], {
    n,
    c,
    affine: weight !== null,
  });
  mean.dispose();
  rstd.dispose();
  return out;
}
