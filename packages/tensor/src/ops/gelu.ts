// GELU, exact (erf) or the tanh approximation GPT-NeoX uses with bias_gelu_fusion
// (neox-spec §1.1). Kernel: kernels/cpu/gelu.cc.

import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  const xc = dense(x);
  const out = Tensor.empty(x.shape, { device: x.device });
  const tanh = approximate === "tanh";
  k.geluForward(x.backend, { out, inp: xc, n: out.numel, tanhApprox: tanh });
  record("gelu", [x], [out], [xc], { tanh });
  return out;
}
