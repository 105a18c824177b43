// GPT-NeoX's ParallelMLP at TP 1: `linear1` (C -> linear1_out), an activation, `linear2`
// (linear2_in -> C). Widths come from the config's derived values (neox-spec §1.1 MLP width
// formula). Gated activations read linear1's output as [x ‖ gate] halves (HF's up_proj ‖
// gate_proj) and give act(gate)·x, so linear1_out = 2·linear2_in.
//   gelu       exact (erf) GELU, F.gelu
//   gelu_tanh  tanh-approximated GELU (GPT-NeoX with bias_gelu_fusion)
//   relu       ReLU
//   silu       SiLU x·σ(x) (GPT-NeoX's `silu` and `swish`)
//   swiglu     SiLU-gated (Llama, Mistral)
//   geglu      exact-GELU-gated
//   reglu      ReLU-gated
// N rows (B·T), C channels.
import { geglu, gelu, reglu, relu, silu, swiglu, type Tensor } from "@neox/tensor";
import type { Init } from "../init";
import type { ParamCollector } from "../params";
import { Linear } from "./linear";

export type MlpActivation = "gelu" | "gelu_tanh" | "relu" | "silu" | "swiglu" | "geglu" | "reglu";

export const MLP_ACTIVATIONS: Readonly<Record<MlpActivation, { gated: boolean; fn: (x: Tensor) => Tensor }>> =
  {
    gelu: { gated: false, fn: (x) => gelu(x) },
    gelu_tanh: { gated: false, fn: (x) => gelu(x, "tanh") },
    relu: { gated: false, fn: relu },
    silu: { gated: false, fn: silu },
    swiglu: { gated: true, fn: swiglu },
    geglu: { gated: true, fn: (x) => geglu(x) },
    reglu: { gated: true, fn: reglu },
  };

export class Mlp {
  readonly linear1: Linear;
  readonly linear2: Linear;
  private readonly act: (x: Tensor) => Tensor;

  constructor(
    pc: ParamCollector,
    C: number,
    widths: { linear1Out: number; linear2In: number },
    activation: MlpActivation,
    opts: { bias: boolean; init: Init; outputInit: Init },
  ) {
    const a = MLP_ACTIVATIONS[activation];
    const expected = a.gated ? 2 * widths.linear2In : widths.linear2In;
    if (widths.linear1Out !== expected) {
      throw new Error(
        `mlp: linear1 has ${widths.linear1Out} outputs but ${activation} needs ${expected} for linear2's ${widths.linear2In} inputs (set intermediate_size and mlp_multiple_of so that they agree, neox-spec §1.1)`,
      );
    }
    this.act = a.fn;
    this.linear1 = new Linear(pc.child("linear1"), C, widths.linear1Out, {
      bias: opts.bias,
      init: opts.init,
    });
    this.linear2 = new Linear(pc.child("linear2"), widths.linear2In, C, {
      bias: opts.bias,
      init: opts.outputInit,
    });
  }

  /** x (N, C) -> (N, C); the linear2 bias is included. */
  forward(x: Tensor): Tensor {
    const h = this.act(this.linear1.forward(x)); // (N, linear2_in)
    return this.linear2.forward(h); // (N, C)
  }
}
