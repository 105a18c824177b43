// Training FLOPs per token with GPT-NeoX's own formula (megatron/logging.py, neox-spec §1.9), so
// the MFU and HFU we log are comparable with GPT-NeoX's:
//
//   flops per iteration = 24 · f · B · s · l · h² · (1 + s/(6h) + V/(16·l·h))
//
// with B the global batch, s seq_length, l layers, h hidden, V the padded vocabulary, and f = 3
// (forward + backward, model FLOPs, MFU) or f = 4 when activations are recomputed (HFU with
// checkpoint_activations: the forward runs twice). Per token that is, multiplied out,
//
//   f · (24·l·h² + 4·l·h·s + 1.5·h·V)
//
// GPT-NeoX uses the formula for every dense architecture: it counts an MHA block with a 4h MLP
// (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters", whose
// FLOPs appendix gives 96·B·s·l·h²·(…) = the f = 4 case), so a gated MLP or grouped-query attention
// is not reflected. We keep it as is so our utilisation figures mean what GPT-NeoX's mean.
import type { ModelShape } from "./shape";

export interface FlopsPerToken {
  /** Model FLOPs (f = 3): what MFU divides by the peak. */
  model: number;
  /** Hardware FLOPs: f = 4 with checkpoint_activations (recompute), else equal to model. */
  hardware: number;
}

/** One forward+backward's FLOPs per token with factor `f` (3 model, 4 with recompute). */
export function neoxFlopsPerToken(s: ModelShape, f: number): number {
  const { layers: l, hidden: h, seqLength, paddedVocab: v } = s;
  return f * (24 * l * h * h + 4 * l * h * seqLength + 1.5 * h * v);
}

export function flopsPerToken(s: ModelShape, checkpointActivations: boolean): FlopsPerToken {
  return {
    model: neoxFlopsPerToken(s, 3),
    hardware: neoxFlopsPerToken(s, checkpointActivations ? 4 : 3),
  };
}
