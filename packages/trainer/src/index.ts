// @neox/trainer: GPT-NeoX's training loop on @neox/models (DESIGN §8).
export { allocMicroBatch, type MicroBatchHost, type MicroBatchOptions, MicroBatchStream } from "./batches";
export * from "./checkpoint/layout";
export { CheckpointError, type Located, locateCheckpoint, readCheckpoint } from "./checkpoint/load";
export { pruneCheckpoints, removeStaleCheckpointTemps, saveCheckpoint, writeLatest } from "./checkpoint/save";
export { fetchS3Load, flushUploads, loadCheckpoint, saveTrainerCheckpoint } from "./checkpointing";
export { DataParallel } from "./data-parallel";
export { evaluate } from "./evaluate";
export {
  RUNTIME_BYTES,
  type TrainMemory,
  type TrainMemoryOptions,
  trainMemory,
  trainMemoryOf,
} from "./memory";
export { buildOptimizer, optimizerStateByName } from "./optimizer";
export * from "./schedule/index";
export {
  type OptimizerKind,
  type OptimizerSettings,
  TrainConfigError,
  type TrainPrecision,
  type TrainSettings,
  trainSettings,
} from "./settings";
export { type StepOutcome, TrainStep, type TrainStepOptions } from "./step";
export {
  dropoutSeed,
  type StopReason,
  type TrainData,
  Trainer,
  type TrainerOptions,
  type TrainResult,
} from "./trainer";
