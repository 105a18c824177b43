// GPT-NeoX's metric names (megatron/logging.py, neox-spec §1.9), written once so every sink and the
// trainer spell them the same. `train/grad_norm` is ours: GPT-NeoX leaves the global norm to DeepSpeed's print.

export const METRIC = {
  lmLoss: "train/lm_loss",
  learningRate: "train/learning_rate",
  lossScale: "train/loss_scale",
  gradNorm: "train/grad_norm",
  samplesPerSec: "runtime/samples_per_sec",
  tokensPerSec: "runtime/tokens_per_sec",
  iterationTime: "runtime/iteration_time",
  stepsPerSec: "runtime/steps_per_sec",
  flopsPerSecPerGpu: "runtime/flops_per_sec_per_gpu",
  modelFlopsUtilization: "runtime/model_flops_utilization",
  hardwareFlopsUtilization: "runtime/hardware_flops_utilization",
  validationLmLoss: "validation/lm_loss",
  validationLmLossPpl: "validation/lm_loss_ppl",
  testLmLoss: "test/lm_loss",
  testLmLossPpl: "test/lm_loss_ppl",
} as const;

/** `timers/<name>` as GPT-NeoX writes its timers (`forward`, `backward`, `optimizer`, `batch generator`, ...). */
export function timerMetric(name: string): string {
  return `timers/${name}`;
}
