// The norms GPT-NeoX builds from `norm` (megatron/model/norms.py get_norm), each owning its
// parameters under its module name:
//   layernorm  torch LayerNorm: `weight` (1) and, with use_bias_in_norms, `bias` (0); eps layernorm_epsilon
//   rmsnorm    GPT-NeoX RMSNorm: `scale` (1); y = x·rsqrt(mean(x²) + eps)·scale, eps rms_norm_epsilon
//              inside the root (GPT-NeoX since #1345, as HF). GPT-NeoX adds an `offset` with
//              use_bias_in_norms; spec.ts refuses that variant (no broadcast bias-add op yet).
//   non_parametric_layernorm  LayerNorm without weight or bias (no parameters)
// All are in the no-weight-decay group.
import { layerNorm, rmsNorm, type Tensor } from "@neox/tensor";
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

  constructor(
    pc: ParamCollector,
    C: number,
    readonly eps: number,
  ) {
    this.scale = pc.add("scale", [C], false, { kind: "constant", value: 1 });
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.scale.t, this.eps);
  }
}

/** Builds the norm a config names; chosen once, when the model is built. */
export type NormFactory = (pc: ParamCollector, C: number) => Norm;
