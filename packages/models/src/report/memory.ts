// Training memory by component, from the config alone. Estimates, with their sources:
//
// Weights, gradients and optimizer state (Rajbhandari et al. 2020, "ZeRO", §3.1): mixed precision
// (fp16/bf16) keeps 16-bit weights (2 B/param) and gradients (2 B/param); the optimizer holds an
// fp32 master copy (4 B) plus Adam's exp_avg and exp_avg_sq (4 B each): 2 + 2 + 12 = 16 B/param.
// fp32 training keeps 4 + 4 + 8 = 16 B/param (no master copy). Lion keeps one moment, SGD one
// momentum buffer (none when momentum is 0). DeepSpeed's bf16 optimizer also accumulates gradients
// in fp32 (4 B/param more); that buffer is not counted here.
//
// Activations for one micro-batch of b sequences of s tokens on one model replica (no tensor or
// sequence parallelism), following Korthikanti et al. 2022, "Reducing Activation Recomputation in
// Large Transformer Models", §4.1: a transformer layer stores sbh(34 + 5as/h) bytes with 16-bit
// activations. We use their term-by-term breakdown so that GQA and MLP widths enter exactly
// (p bytes per activation element, 1 byte per dropout-mask element, a heads, kv key/value heads,
// d head size, w1 = mlp.linear1 out, w2 = mlp.linear2 in):
//
//   attention  sb·(p·(3h + 2·kv·d) + h) + b·a·s²·(2p + 1)   QKV input, Q, K, V, dense input, mask;
//                                                          softmax output, its dropout mask and output
//   mlp        sb·(p·(h + w1 + w2) + h)                    linear1 input, activation in/out, mask
//   norms      sb·2p·h                                     the two norm inputs
//
// which is 34sbh + 5as²b for MHA, a 4h MLP and p = 2. Flash attention keeps no s² tensor; it saves
// the softmax statistics, 4 bytes · b·a·s. Outside the layers: the embedding dropout mask (sbh), the
// final norm and output linear inputs (2p·sbh) and the fp32 logits for the cross-entropy (4·sbV).
// With checkpoint_activations GPT-NeoX keeps only each chunk of checkpoint_num_layers layers' input
// (p·sbh) and recomputes one chunk at a time in backward, so one chunk's activations are live.
// Dropout masks are counted even at dropout 0 (an upper bound, as in the paper).
import type { Derived, ResolvedConfig } from "@neox/config";
import type { ModelShape } from "./shape";

export interface MemoryBytes {
  weights: number;
  gradients: number;
  optimizer_state: number;
  /** One micro-batch's stored activations without recomputation. */
  activations: number;
  /** The same with checkpoint_activations (checkpoint_num_layers as configured, default 1). */
  activations_checkpointed: number;
}

export interface MemoryAssumptions {
  precision: Derived["precision"];
  bytes_per_parameter: { weights: number; gradients: number; optimizer_state: number };
  micro_batch_size: number;
  /** Where the micro-batch size came from: the config, or 1 when it sets none. */
  micro_batch_source: "config" | "default";
  seq_length: number;
  checkpoint_num_layers: number;
  flash_attention: boolean;
}

function optimizerStateBytes(r: ResolvedConfig, mixed: boolean): number {
  const type = r.derived.optimizer_type.toLowerCase();
  const params = (r.derived.optimizer.params ?? {}) as Record<string, unknown>;
  const moments = type === "lion" ? 4 : type === "sgd" ? (Number(params.momentum ?? 0) !== 0 ? 4 : 0) : 8;
  return moments + (mixed ? 4 : 0);
}

export function bytesPerParameter(r: ResolvedConfig): MemoryAssumptions["bytes_per_parameter"] {
  const mixed = r.derived.precision !== "fp32";
  const w = mixed ? 2 : 4;
  return { weights: w, gradients: w, optimizer_state: optimizerStateBytes(r, mixed) };
}

/** Stored activation bytes of one transformer layer for b sequences (see the header for the terms). */
export function layerActivationBytes(s: ModelShape, b: number, p: number, flash: boolean): number {
  const { hidden: h, heads: a, kvHeads: kv, headSize: d, seqLength: seq } = s;
  const sb = seq * b;
  const attention =
    sb * (p * (3 * h + 2 * kv * d) + h) + (flash ? 4 * b * a * seq : b * a * seq * seq * (2 * p + 1));
  const mlp = sb * (p * (h + s.linear1Out + s.linear2In) + h);
  const norms = sb * 2 * p * h;
  return attention + mlp + norms;
}

export function memoryBytes(
  r: ResolvedConfig,
  s: ModelShape,
  totalParams: number,
): { bytes: MemoryBytes; assumptions: MemoryAssumptions } {
  const per = bytesPerParameter(r);
  const p = r.derived.precision === "fp32" ? 4 : 2;
  const given = r.derived.train_micro_batch_size_per_gpu;
  const b = typeof given === "number" && given >= 1 ? given : 1;
  const chunk = Math.min(
    s.layers,
    typeof r.values.checkpoint_num_layers === "number" && r.values.checkpoint_num_layers >= 1
      ? r.values.checkpoint_num_layers
      : 1,
  );
  const flash = s.attentionTypes.every((t) => t === "flash");
  const sbh = s.seqLength * b * s.hidden;
  const outside = sbh + 2 * p * sbh + 4 * s.seqLength * b * s.paddedVocab;
  const layer = layerActivationBytes(s, b, p, flash);
  return {
    bytes: {
      weights: totalParams * per.weights,
      gradients: totalParams * per.gradients,
      optimizer_state: totalParams * per.optimizer_state,
      activations: s.layers * layer + outside,
      activations_checkpointed: Math.ceil(s.layers / chunk) * p * sbh + chunk * layer + outside,
    },
    assumptions: {
      precision: r.derived.precision,
      bytes_per_parameter: per,
      micro_batch_size: b,
      micro_batch_source: given === b ? "config" : "default",
      seq_length: s.seqLength,
      checkpoint_num_layers: chunk,
      flash_attention: flash,
    },
  };
}

/**
 * The model-state part per GPU: weights, gradients and optimizer state split over tensor and pipeline
 * ranks, then over data-parallel ranks by ZeRO stage (1 optimizer state, 2 also gradients, 3 also
 * weights). Activations are per micro-batch on one replica and are not divided here.
 */
export function perGpuModelState(
  r: ResolvedConfig,
  m: MemoryBytes,
): Omit<MemoryBytes, "activations" | "activations_checkpointed"> {
  const d = r.derived;
  const mp = d.model_parallel_size * Math.max(1, d.pipe_parallel_size);
  const dp = d.data_parallel_size;
  const stage = typeof d.zero_stage === "number" ? d.zero_stage : 0;
  const split = (x: number, fromStage: number) => Math.ceil(x / mp / (stage >= fromStage ? dp : 1));
  return {
    weights: split(m.weights, 3),
    gradients: split(m.gradients, 2),
    optimizer_state: split(m.optimizer_state, 1),
  };
}
