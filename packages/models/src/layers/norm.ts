// The norms GPT-NeoX builds from `norm` (megatron/model/norms.py get_norm), each owning its
// parameters under its module name:
//   layernorm  torch LayerNorm: `weight` (1) and, with use_bias_in_norms, `bias` (0); eps layernorm_epsilon
//   rmsnorm    GPT-NeoX RMSNorm: `scale` (1); y = x·rsqrt(mean(x²) + eps)·scale, eps rms_norm_epsilon
//              inside the root (GPT-NeoX since #1345, as HF); with use_bias_in_norms (GPT-NeoX's
//              default) also `offset` (0), y = x·rstd·scale + offset (norms.py RMSNorm(bias=True)).
//   non_parametric_layernorm  LayerNorm without weight or bias (no parameters)
// All are in the no-weight-decay group.
import { biasAdd, cast, layerNorm, rmsNorm, type Tensor } from "@neox/tensor";
import type { Param, ParamCollector } from "../params";

export interface Norm {
  /** x (N, C) -> (N, C) */
  forward(x: Tensor): Tensor;
}

export class LayerNorm implements Norm {
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(
    pc: ParamCollector,
    C: number,
    readonly eps: number,
    bias: boolean,
  ) {
    this.weight = pc.add("weight", [C], false, { kind: "constant", value: 1 });
    this.bias = bias ? pc.add("bias", [C], false, { kind: "constant", value: 0 }) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight.t, this.bias?.t ?? null, this.eps);
  }
}

export class NonParametricLayerNorm implements Norm {
  constructor(readonly eps: number) {}

  forward(x: Tensor): Tensor {
    return layerNorm(x, null, null, this.eps);
  }
}

export class RMSNorm implements Norm {
  readonly scale: Param;
  readonly offset: Param | null;

  constructor(
    pc: ParamCollector,
    C: number,
    readonly eps: number,
    offset = false,
  ) {
    this.scale = pc.add("scale", [C], false, { kind: "constant", value: 1 });
    this.offset = offset ? pc.add("offset", [C], false, { kind: "constant", value: 0 }) : null;
  }

  forward(x: Tensor): Tensor {
    const y = rmsNorm(x, this.scale.t, this.eps);
    if (!this.offset) return y;
    // The offset is added in fp32 (GPT-NeoX computes the norm in fp32 and casts back after).
    if (y.dtype === "f32") return biasAdd(y, this.offset.t);
    return cast(biasAdd(cast(y, "f32"), this.offset.t), y.dtype);
  }
}

/** Builds the norm a config names; chosen once, when the model is built. */
export type NormFactory = (pc: ParamCollector, C: number) => Norm;
