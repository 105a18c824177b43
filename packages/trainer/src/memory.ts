// What a training process of this engine holds, from the config alone (`neox train --dry-run`), by
// component. It differs from GPT-NeoX's DeepSpeed accounting (`neox model info`, @neox/models'
// report/memory.ts) where the engines differ:
//   weights     fp32 master weights, plus a bf16 or f16 working copy in mixed precision: 4 (+ 2) B/param
//   gradients   one flat fp32 buffer: 4 B/param, whatever the precision
//   optimizer   Adam's exp_avg and exp_avg_sq 8 B/param, Lion's exp_avg 4, SGD's momentum 4 (0 without)
//   activations the planned step's arena for one micro-batch (micro-batches of a step reuse it):
//               Korthikanti et al.'s per-layer terms (report/memory.ts) with fp32 activations and the
//               flash-style attention this engine always runs (softmax statistics, no s×s tensor),
//               plus the fp32 logits, whose buffer the loss's pass overwrites with their gradient
//               (4·sbV bytes, most of it for small models)
//               and the embedding, final norm and head inputs (3·4·sbh); in bf16/fp16 also the GEMM
//               inputs the linears keep in the working dtype (2·sb·(3h + w2) per layer, 2·sbh for
//               the head) and the logits' gradient rounded for the head's backward GEMMs (2·sbV)
//   runtime     Node, V8's heap and the native addon: 128 MiB, measured on an idle process
// With ZeRO over d data-parallel ranks (zero.ts) the figures are the largest rank's: at stages 1
// and 2 the optimizer state of its shard (P - (d-1)·floor(P/d) parameters, the last rank's); at
// stage 2 also the shard's own gradient, beside the full-size gradient buffer, whose pages are held
// only from a bucket's backward to its reduction (counted whole: the bound on the peak).
// Checked against measured peak RSS by `pnpm bench:train` (within a few percent on its shapes).
import type { ResolvedConfig } from "@neox/config";
import { countParameters, layerActivationBytes, modelShape, parameterTableOf } from "@neox/models";
import { type OptimizerKind, type TrainPrecision, trainSettings } from "./settings";

export const RUNTIME_BYTES = 128 * 2 ** 20;

export interface TrainMemory {
  weights: number;
  gradients: number;
  optimizer_state: number;
  activations: number;
  runtime: number;
  total: number;
}

export interface TrainMemoryOptions {
  precision: TrainPrecision;
  optimizer: OptimizerKind;
  /** SGD's momentum (a buffer only when > 0). */
  momentum: number;
  micro: number;
  /** checkpoint_num_layers when checkpoint_activations, else 0. */
  checkpointLayers: number;
  /** zero_optimization.stage and the data-parallel size (no sharding below 2 ranks); default 0 and 1. */
  zeroStage?: 0 | 1 | 2;
  dataParallel?: number;
}

/** The parameters of the largest ZeRO shard of P over d ranks (the last rank also holds P mod d). */
export function largestShard(P: number, d: number): number {
  return d > 1 ? P - (d - 1) * Math.floor(P / d) : P;
}

export function trainMemory(r: ResolvedConfig, o: TrainMemoryOptions): TrainMemory {
  const s = modelShape(r);
  const P = countParameters(parameterTableOf(s), s.layers).total;
  const stateBytes = o.optimizer === "adam" ? 8 : o.optimizer === "lion" ? 4 : o.momentum > 0 ? 4 : 0;
  const sb = s.seqLength * o.micro;
  const lowp = o.precision !== "fp32";
  const outside =
    4 * sb * s.paddedVocab + 3 * 4 * sb * s.hidden + (lowp ? 2 * sb * (s.paddedVocab + s.hidden) : 0);
  const layer =
    layerActivationBytes(s, o.micro, 4, true) + (lowp ? 2 * sb * (3 * s.hidden + s.linear2In) : 0);
  const chunk = Math.min(o.checkpointLayers, s.layers);
  const layers =
    chunk > 0 ? Math.ceil(s.layers / chunk) * 4 * sb * s.hidden + chunk * layer : s.layers * layer;
  const stage = (o.dataParallel ?? 1) > 1 ? (o.zeroStage ?? 0) : 0;
  const shard = stage > 0 ? largestShard(P, o.dataParallel ?? 1) : P;
  const m = {
    weights: P * (o.precision === "fp32" ? 4 : 6),
    gradients: 4 * P + (stage === 2 ? 4 * shard : 0),
    optimizer_state: stateBytes * shard,
    activations: layers + outside,
    runtime: RUNTIME_BYTES,
  };
  return { ...m, total: m.weights + m.gradients + m.optimizer_state + m.activations + m.runtime };
}

/** trainMemory for the run a resolved config describes (its precision, optimizer, micro-batch, checkpointing). */
export function trainMemoryOf(r: ResolvedConfig): TrainMemory {
  const t = trainSettings(r);
  return trainMemory(r, {
    precision: t.precision,
    optimizer: t.optimizer.kind,
    momentum: t.optimizer.momentum,
    micro: t.micro,
    checkpointLayers: t.checkpointActivations ? Number(r.values.checkpoint_num_layers ?? 1) : 0,
    zeroStage: t.zeroStage,
    dataParallel: t.dataParallel,
  });
}
