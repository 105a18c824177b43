// A bias broadcast over rows outside linear: out (..., C) = x + bias (C). GPT-NeoX's RMSNorm adds
// its `offset` this way (use_bias_in_norms). Kernel: kernels/cpu/bias-add.cc; the backward passes
// the gradient through to x and accumulates Σ_rows dout into the bias (grad-rules.ts).

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export function biasAdd(x: Tensor, bias: Tensor): Tensor {
  const c = x.size(-1);
  if (x.dtype !== "f32") throw new Error(`biasAdd: ${x} must be f32`);
  if (bias.ndim !== 1 || bias.size(0) !== c || bias.dtype !== "f32")
    throw new Error(`biasAdd: bias ${bias} must be f32 of shape [${c}] (the last dimension of ${x})`);
  const xc = dense(x);
  const bc = dense(bias);
  const n = x.numel / c;
  const out = Tensor.empty(x.shape, { device: x.device });
  k.biasAddForward(x.backend, { out, inp: xc, bias: bc, N: n, C: c });
  record("biasAdd", [x, bias], [out], [], { n, c });
  return out;
}
