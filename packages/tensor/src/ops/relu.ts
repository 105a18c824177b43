// ReLU, GPT-NeoX's `activation: relu` (F.relu; neox-spec §1.1). The gradient at 0 is 0, as torch's.
// Kernel: kernels/cpu/relu.cc; backward in grad-rules.ts.

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export function relu(x: Tensor): Tensor {
  const xc = dense(x);
  const out = Tensor.empty(x.shape, { device: x.device });
  k.reluForward(x.backend, { out, inp: xc, n: out.numel });
  record("relu", [x], [out], [xc]);
  return out;
}
