// @neox/models: decoder-only architectures on @neox/tensor, built from a resolved @neox/config.

export { type ArchRequirements, checkArchitecture } from "./arch-check";
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CONFIG_FILE,
  followLatest,
  INDEX_FILE,
  LATEST_FILE,
  MODEL_FILE,
  STATE_FILE,
  TAG_PATTERN,
  tagOf,
  writeTextSynced,
} from "./checkpoint-format";
export { fromSequentialName, layerSpecKey, toSequentialName } from "./gpt-neox/checkpoint-names";
export { NEOX_HF_ADAPTER } from "./gpt-neox/hf-adapter";
export { type BuildOptions, GptNeoXModel } from "./gpt-neox/model";
export { GPT_NEOX_PRESETS, type GptNeoXPresetName } from "./gpt-neox/presets";
export {
  COMMON_FIELDS,
  type HfAdapter,
  type HfConfigField,
  type HfTensorRule,
  type HfTransform,
  hfBool,
  hfCount,
  hfNumber,
} from "./hf-table";
export { MAX_DECODE_PLANS } from "./inference/decode-plan";
export {
  type Engine,
  EngineInputError,
  type EngineOptions,
  type EngineOutput,
  type ForwardOptions,
  InferenceEngine,
  type ScoredSegment,
  type ScoreOutput,
  type Segment,
} from "./inference/engine";
export { type InferenceModel, loadInferenceModel } from "./inference/load";
export {
  argmax,
  checkSampling,
  filteredDistribution,
  GREEDY,
  isGreedy,
  Rng,
  SamplingError,
  type SamplingParams,
  sample,
  tokenLogprobs,
} from "./inference/sampling";
export {
  type FinishReason,
  type GenerateRequest,
  type GenerateResult,
  Scheduler,
  type TokenInfo,
} from "./inference/scheduler";
export { fans, INIT_METHODS, type Init, type InitMethod, initFor, initStd, initValues } from "./init";
export { Attention, type AttentionDims } from "./layers/attention";
export { type Block, ParallelBlock, SequentialBlock, TiedParallelBlock } from "./layers/block";
export { Dropout, DropoutState } from "./layers/dropout";
export { Embedding, type InputEmbedding, WordAndPositionEmbedding, WordEmbedding } from "./layers/embedding";
export { type OutputHead, TiedHead, UntiedHead } from "./layers/head";
export { Linear } from "./layers/linear";
export { MLP_ACTIVATIONS, Mlp, type MlpActivation } from "./layers/mlp";
export { LayerNorm, NonParametricLayerNorm, type Norm, RMSNorm } from "./layers/norm";
export { LLAMA_HF_ADAPTER } from "./llama/hf-adapter";
export { buildLlama, LLAMA_REQUIREMENTS } from "./llama/model";
export { LLAMA_PRESETS } from "./llama/presets";
export { type LoadedWeights, type LoadWeightsOptions, loadWeights } from "./load-weights";
export { MISTRAL_HF_ADAPTER } from "./mistral/hf-adapter";
export { buildMistral, MISTRAL_REQUIREMENTS } from "./mistral/model";
export { MISTRAL_PRESETS } from "./mistral/presets";
export { Param, ParamCollector, type ParamInfo, ParamRegistry } from "./params";
export { GPT2_VOCAB, LLAMA_VOCAB, loadPreset, NEOX_20B_VOCAB, type Preset } from "./preset";
export * from "./report/index";
export { sequenceLogits } from "./sequence-logits";
export {
  ModelConfigError,
  type ModelSpec,
  modelSpec,
  type NormSpec,
  type Positions,
  type Residual,
} from "./spec";
export { findWeightFiles, type WeightFiles, WeightLoadError } from "./weights-dir";
