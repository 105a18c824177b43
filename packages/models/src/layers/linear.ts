// A linear layer y = x·Wᵀ + b with GPT-NeoX's parameter names `<name>.weight` [out, in] and
// `<name>.bias` [out] (ColumnParallelLinear / RowParallelLinear at TP 1; no transposes, the layout
// is torch.nn.Linear's, as HF's). With a bf16 working copy the GEMMs run in bf16.
import { linear, type Tensor } from "@neox/tensor";
import type { Init } from "../init";
import type { Param, ParamCollector } from "../params";

export class Linear {
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(
    pc: ParamCollector,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias: boolean; init: Init },
  ) {
    this.weight = pc.add("weight", [outFeatures, inFeatures], true, opts.init);
    this.bias = opts.bias ? pc.add("bias", [outFeatures], false, { kind: "constant", value: 0 }) : null;
  }

  /** x (N, in) -> (N, out) */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight.t, this.bias?.t ?? null, { weightLowp: this.weight.lowp });
  }
}
