// The host-side schedules the training loop calls: learning rate (GPT-NeoX AnnealingLR), fp16 loss
// scaling (DeepSpeed's DynamicLossScaler and GPT-NeoX's overflow abort), and the cadence of saves,
// evaluations, exits and resume positions. Pure TypeScript; no tensors.
export {
  type Cadence,
  type CheckpointCadence,
  type CheckpointScale,
  cadenceFromConfig,
  checkpointsToDelete,
  type EvalCadence,
  evalMicroBatches,
  isEvalIteration,
  isExitIteration,
  isFinalSave,
  saveIterations,
  shouldSave,
  trainItersFromEpochs,
  trainResumeSkip,
  validResumeSkip,
} from "./cadence";
export { ScheduleConfigError } from "./config-value";
export {
  LossScaleError,
  LossScaler,
  type LossScalerOptions,
  type LossScalerState,
  lossScalerFromConfig,
  MAX_CONSECUTIVE_OVERFLOWS,
} from "./loss-scale";
export {
  AnnealingLR,
  type AnnealingLROptions,
  type AnnealingLRState,
  annealingLRFromConfig,
  type DecayStyle,
  NEOX_HALF_LIFE,
} from "./lr";
