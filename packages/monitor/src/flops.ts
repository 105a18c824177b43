// GPT-NeoX's throughput formulas (megatron/logging.py `get_flops`, from Megatron-LM, Narayanan et al.
// 2021, arXiv 2104.04473 §5.1), with B = train_batch_size, s = seq_length, l = num_layers,
// h = hidden_size, V = padded_vocab_size, W = world size, t = seconds per iteration:
//
//   flops/s/GPU = 24·f·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)) / (t·W)
//
// f = 3 counts forward (1) and backward (2); with checkpoint_activations the forward runs twice, f = 4.
// HFU uses the f the run actually did; MFU always uses f = 3 (the model's work, not the recompute).
// Utilisation is a percentage of the configured peak: flops/s/GPU / (peak_theoretical_tflops·1e12)·100.
// Argument names are GPT-NeoX's config keys, so a resolved config can be passed as it is.

/** The model and batch sizes the formula reads. */
export interface FlopsShape {
  train_batch_size: number;
  seq_length: number;
  num_layers: number;
  hidden_size: number;
  padded_vocab_size: number;
}

/** FLOPs of one iteration over the whole batch, for a given f (3, or 4 with activation recompute). */
export function flopsPerIteration(shape: FlopsShape, factor: number): number {
  const B = need(shape.train_batch_size, "train_batch_size");
  const s = need(shape.seq_length, "seq_length");
  const l = need(shape.num_layers, "num_layers");
  const h = need(shape.hidden_size, "hidden_size");
  const V = need(shape.padded_vocab_size, "padded_vocab_size");
  return 24 * factor * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
}

/** Hardware FLOP/s per GPU: counts the recomputed forward when `checkpoint_activations` is on. */
export function hardwareFlopsPerSecPerGpu(
  shape: FlopsShape,
  iterationSeconds: number,
  worldSize: number,
  checkpointActivations: boolean,
): number {
  return flopsPerIteration(shape, checkpointActivations ? 4 : 3) / perGpuSeconds(iterationSeconds, worldSize);
}

/** Model FLOP/s per GPU: the model's own work (f = 3) whatever the recompute setting. */
export function modelFlopsPerSecPerGpu(
  shape: FlopsShape,
  iterationSeconds: number,
  worldSize: number,
): number {
  return flopsPerIteration(shape, 3) / perGpuSeconds(iterationSeconds, worldSize);
}

/** `flopsPerSec` as a percentage of `peak_theoretical_tflops` (TFLOP/s per GPU, e.g. 312 for A100 bf16). */
export function utilizationPercent(flopsPerSec: number, peakTheoreticalTflops: number): number {
  return (flopsPerSec / (need(peakTheoreticalTflops, "peak_theoretical_tflops") * 1e12)) * 100;
}

function perGpuSeconds(iterationSeconds: number, worldSize: number): number {
  return need(iterationSeconds, "iteration seconds") * need(worldSize, "world_size");
}

function need(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`FLOPs formula: ${name} must be a finite number > 0, got ${value}`);
  }
  return value;
}
