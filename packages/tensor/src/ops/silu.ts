// SiLU x·σ(x), GPT-NeoX's `activation: silu` and `swish` (the same function; neox-spec §1.1).
// Kernel: kernels/cpu/silu.cc; backward in grad-rules.ts.

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export function silu(x: Tensor): Tensor {
  const xc = dense(x);
  const out = Tensor.empty(x.shape, { device: x.device });
  k.siluForward(x.backend, { out, inp: xc, n: out.numel });
  record("silu", [x], [out], [xc]);
  return out;
}
