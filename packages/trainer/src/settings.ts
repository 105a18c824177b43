// What the trainer reads from a resolved GPT-NeoX config, in one place: batch sizes, iterations,
// precision, optimizer, clipping, checkpoint paths and logging. The model's own keys are
// @neox/models' business (its spec.ts); the learning rate, loss scale and the evaluation, save and
// exit cadence are schedule/'s. A value the trainer cannot run fails here with the key, its value
// and where it was set.
import { formatSource, type ResolvedConfig } from "@neox/config";

export type OptimizerKind = "adam" | "lion" | "sgd";
export type TrainPrecision = "fp32" | "bf16" | "fp16";

export interface OptimizerSettings {
  kind: OptimizerKind;
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** SGD only. */
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export interface TrainSettings {
  micro: number;
  gas: number;
  /** micro · gas · data-parallel size. */
  globalBatch: number;
  dataParallel: number;
  /**
   * zero_optimization.stage: 0 (plain data parallel), 1 (optimizer state sharded over the ranks) or
   * 2 (gradients sharded too).
   */
  zeroStage: 0 | 1 | 2;
  /** The data-parallel gradient buckets: zero_optimization.reduce_bucket_size and overlap_comm. */
  buckets: { bucketSize: number; overlap: boolean; singleTape: boolean };
  seqLength: number;
  /** train_iters, or null when the config trains by train_epochs (the Trainer derives it from the data). */
  trainIters: number | null;
  trainEpochs: number | null;
  precision: TrainPrecision;
  optimizer: OptimizerSettings;
  /** gradient_clipping (0: none). */
  clip: number;
  logInterval: number;
  seed: number;
  eodMaskLoss: boolean;
  checkpointActivations: boolean;
  save: string | null;
  load: string | null;
  finetune: boolean;
  noSaveOptim: boolean;
  noLoadOptim: boolean;
  /** peak_theoretical_tflops for MFU/HFU, when given. */
  peakTflops: number | null;
}

/** A config the trainer cannot run: the message names the key. */
export class TrainConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = "TrainConfigError";
  }
}

export function trainSettings(r: ResolvedConfig): TrainSettings {
  const v = r.values;
  const d = r.derived;
  const fail = (key: string, what: string): never => {
    const where = r.sources.get(key);
    const at = where ? ` (${formatSource(where)})` : r.given.has(key) ? "" : " (GPT-NeoX's default)";
    throw new TrainConfigError(key, `${key} = ${JSON.stringify(v[key] ?? null)}${at}: ${what}`);
  };
  const posInt = (key: string, x: unknown): number => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 1) fail(key, "expected a whole number ≥ 1");
    return x as number;
  };
  const str = (x: unknown): string | null => (typeof x === "string" && x.length > 0 ? x : null);

  const micro = posInt("train_micro_batch_size_per_gpu", d.train_micro_batch_size_per_gpu);
  const gas = posInt("gradient_accumulation_steps", d.gradient_accumulation_steps);
  const globalBatch = posInt("train_batch_size", d.train_batch_size);
  const trainEpochs =
    v.train_iters == null && v.train_epochs != null ? posInt("train_epochs", v.train_epochs) : null;
  const trainIters = trainEpochs === null ? posInt("train_iters", v.train_iters) : null;
  const precision: TrainPrecision =
    d.precision === "bfloat16" ? "bf16" : d.precision === "fp16" ? "fp16" : "fp32";
  const type = d.optimizer_type.toLowerCase();
  const params = (d.optimizer.params ?? {}) as Record<string, unknown>;
  const kind: OptimizerKind | null =
    type === "adam" || type === "adamw" ? "adam" : type === "lion" ? "lion" : type === "sgd" ? "sgd" : null;
  if (kind === null)
    fail(
      "optimizer",
      `optimizer type "${d.optimizer_type}" is not built (the trainer runs Adam, AdamW, Lion, SGD)`,
    );
  const betas =
    (params.betas as [number, number] | undefined) ?? (kind === "lion" ? [0.9, 0.99] : [0.9, 0.999]);
  if (
    !Array.isArray(betas) ||
    betas.length !== 2 ||
    betas.some((b) => typeof b !== "number" || b < 0 || b >= 1)
  )
    fail("optimizer", `optimizer.params.betas must be two numbers in [0, 1), got ${JSON.stringify(betas)}`);
  const lr = d.lr;
  if (!(typeof lr === "number" && Number.isFinite(lr) && lr >= 0))
    fail("optimizer", "optimizer.params.lr must be ≥ 0");
  const weightDecay = typeof v.weight_decay === "number" ? v.weight_decay : 0.1;

  // one process: every stage is the plain optimizer (nothing to shard across)
  const stage = d.data_parallel_size > 1 ? (d.zero_optimization.stage ?? 0) : 0;
  if (stage !== 0 && stage !== 1 && stage !== 2)
    fail(
      "zero_optimization",
      `zero_optimization.stage ${JSON.stringify(stage)} over ${d.data_parallel_size} data-parallel ranks is not built (stages 0, 1 and 2 are; 3 also shards the parameters)`,
    );
  if (stage !== 0 && precision === "fp16")
    fail(
      "zero_optimization",
      `zero_optimization.stage ${stage} with fp16 is not built yet (the dynamic loss scale's overflow check runs per shard); use bf16 or fp32, or stage 0`,
    );
  const zero = d.zero_optimization;
  const bucketSize = zero.reduce_bucket_size ?? 500_000_000;
  if (!(typeof bucketSize === "number" && Number.isInteger(bucketSize) && bucketSize > 0))
    fail(
      "zero_optimization",
      `zero_optimization.reduce_bucket_size must be a positive integer (elements), got ${JSON.stringify(bucketSize)}`,
    );
  const ckptAct = v.checkpoint_activations === true;
  return {
    micro,
    gas,
    globalBatch,
    dataParallel: d.data_parallel_size,
    zeroStage: stage as 0 | 1 | 2,
    buckets: { bucketSize: bucketSize as number, overlap: zero.overlap_comm === true, singleTape: !ckptAct },
    seqLength: posInt("seq_length", v.seq_length),
    trainIters,
    trainEpochs,
    precision,
    optimizer: {
      kind: kind as OptimizerKind,
      lr,
      betas: [betas[0], betas[1]],
      eps: typeof params.eps === "number" ? params.eps : 1e-8,
      weightDecay,
      momentum: typeof params.momentum === "number" ? params.momentum : 0,
      dampening: typeof params.dampening === "number" ? params.dampening : 0,
      nesterov: params.nesterov === true,
    },
    clip: d.clip_grad,
    logInterval: posInt("log_interval", v.log_interval ?? 100),
    seed: typeof v.seed === "number" ? v.seed : 1234,
    eodMaskLoss: v.eod_mask_loss === true,
    checkpointActivations: ckptAct,
    save: str(v.save),
    load: str(v.load),
    finetune: v.finetune === true,
    noSaveOptim: v.no_save_optim === true,
    noLoadOptim: v.no_load_optim === true,
    peakTflops: typeof v.peak_theoretical_tflops === "number" ? v.peak_theoretical_tflops : null,
  };
}
