// The `runtime/*` metrics GPT-NeoX logs every log_interval, from the mean iteration time over the
// interval: samples/s = train_batch_size / t, tokens/s = samples/s · seq_length, steps/s = 1 / t,
// flops per GPU by the HFU formula (what GPT-NeoX prints as "approx flops per GPU"), and MFU/HFU
// only when a peak is configured.

import {
  type FlopsShape,
  hardwareFlopsPerSecPerGpu,
  modelFlopsPerSecPerGpu,
  utilizationPercent,
} from "./flops";
import { METRIC } from "./names";

export interface RuntimeInputs extends FlopsShape {
  /** Mean seconds per iteration over the logging interval. */
  iteration_time: number;
  world_size: number;
  checkpoint_activations: boolean;
  /** Peak TFLOP/s of one device (GPT-NeoX's key); without it MFU and HFU are not logged. */
  peak_theoretical_tflops?: number | null;
}

/** The runtime metrics for one logging interval, keyed by GPT-NeoX's names. */
export function runtimeMetrics(inputs: RuntimeInputs): Record<string, number> {
  const t = inputs.iteration_time;
  const samplesPerSec = inputs.train_batch_size / t;
  const hfu = hardwareFlopsPerSecPerGpu(inputs, t, inputs.world_size, inputs.checkpoint_activations);
  const out: Record<string, number> = {
    [METRIC.samplesPerSec]: samplesPerSec,
    [METRIC.iterationTime]: t,
    [METRIC.stepsPerSec]: 1 / t,
    [METRIC.tokensPerSec]: samplesPerSec * inputs.seq_length,
    [METRIC.flopsPerSecPerGpu]: hfu,
  };
  const peak = inputs.peak_theoretical_tflops;
  if (peak !== undefined && peak !== null) {
    out[METRIC.modelFlopsUtilization] = utilizationPercent(
      modelFlopsPerSecPerGpu(inputs, t, inputs.world_size),
      peak,
    );
    out[METRIC.hardwareFlopsUtilization] = utilizationPercent(hfu, peak);
  }
  return out;
}
