// Gated linear units in GPT-NeoX's layout (megatron/model/activations.py, Gated_Activation): each
// input row of 2C is [x ‖ gate] (`x, gate = chunk(2, -1)`, the first half of linear1's output is
// HF's up_proj, the second its gate_proj) and the output is act(gate)·x, C channels.
//   swiglu      act = SiLU (Llama)
//   geglu       act = exact GELU (F.gelu)
//   geglu_tanh  act = tanh-approximated GELU
//   reglu       act = ReLU
// Kernel: kernels/cpu/glu.cc; backward in grad-rules.ts.

import { GLU_KIND } from "@neox/kernels";
import { record } from "../autograd/tape";
import { k } from "../kernels";
import { Tensor } from "../tensor";
import { dense } from "./basic";

export type GluActivation = "swiglu" | "geglu" | "geglu_tanh" | "reglu";

const KIND: Record<GluActivation, number> = {
  swiglu: GLU_KIND.swiglu,
  geglu: GLU_KIND.geglu,
  geglu_tanh: GLU_KIND.gegluTanh,
  reglu: GLU_KIND.reglu,
};

/** x (..., 2C) f32 rows [x ‖ gate] -> (..., C) = act(gate)·x. */
export function glu(x: Tensor, activation: GluActivation): Tensor {
  const kind = KIND[activation];
  if (kind === undefined)
    throw new Error(`glu: unknown activation "${activation}" (swiglu, geglu, geglu_tanh, reglu)`);
  const width = x.size(-1);
  if (width % 2 !== 0) throw new Error(`glu: ${x} must have an even last dimension [x ‖ gate]`);
  const c = width / 2;
  const n = x.numel / width;
  const xc = dense(x);
  const out = Tensor.empty([...x.shape.slice(0, -1), c], { device: x.device });
  k.gluForward(x.backend, { out, inp: xc, N: n, C: c, kind });
  record("glu", [x], [out], [xc], { n, c, kind });
  return out;
}

export const swiglu = (x: Tensor): Tensor => glu(x, "swiglu");
export const geglu = (x: Tensor, approximate: "none" | "tanh" = "none"): Tensor =>
  glu(x, approximate === "tanh" ? "geglu_tanh" : "geglu");
export const reglu = (x: Tensor): Tensor => glu(x, "reglu");
