// The output head: logits = h·Wᵀ over the padded vocabulary, never with a bias (GPT-NeoX's
// ParallelLinearPipe / parallel_lm_logits). Untied (no_weight_tying: true, nearly every shipped
// config) it owns `final_linear.weight` [V_pad, C]; tied (GPT-NeoX's default) it reuses
// `word_embeddings.weight`, whose gradient then sums both uses. N rows (B·T), C channels.
import { linear, type Tensor } from "@neox/tensor";
import type { Init } from "../init";
import type { Param, ParamCollector } from "../params";

export interface OutputHead {
  /** h (N, C) -> logits (N, V_pad) */
  forward(h: Tensor): Tensor;
}

export class UntiedHead implements OutputHead {
  readonly weight: Param;

  constructor(pc: ParamCollector, V: number, C: number, init: Init) {
    this.weight = pc.child("final_linear").add("weight", [V, C], true, init);
  }

  forward(h: Tensor): Tensor {
    return linear(h, this.weight.t, null, { weightLowp: this.weight.lowp });
  }
}

export class TiedHead implements OutputHead {
  constructor(readonly weight: Param) {}

  forward(h: Tensor): Tensor {
    return linear(h, this.weight.t, null, { weightLowp: this.weight.lowp });
  }
}
