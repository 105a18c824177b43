// Model size, FLOPs per token and memory by component, computed from the config alone.
export { type FlopsPerToken, flopsPerToken, neoxFlopsPerToken } from "./flops";
export { type ModelInfo, modelInfo } from "./info";
export {
  bytesPerParameter,
  layerActivationBytes,
  type MemoryAssumptions,
  type MemoryBytes,
  memoryBytes,
  perGpuModelState,
} from "./memory";
export {
  countParameters,
  type ParamCounts,
  type ParamEntry,
  parameterTable,
  parameterTableOf,
  qkvOutFeatures,
} from "./params";
export { ModelReportError, type ModelShape, modelShape, type NormKind, type ReportProblem } from "./shape";
