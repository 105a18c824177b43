// @neox/convert: checkpoints to and from Hugging Face directories (safetensors, config.json,
// tokenizer files) and ONNX graphs. See README.md.

export { checkpointDir, type OpenCheckpoint, openCheckpoint } from "./checkpoint-read";
export { type CheckpointParam, type NewCheckpoint, writeCheckpoint } from "./checkpoint-write";
export {
  describeExport,
  describeImport,
  HF_EXPORT_USAGE,
  HF_IMPORT_USAGE,
  HfUsageError,
  parseHfExportArgs,
  parseHfImportArgs,
} from "./hf-cli";
export {
  autoPrecision,
  type HfArchitecture,
  type HfExportOptions,
  type HfExportResult,
  hfExport,
} from "./hf-export";
export { type ExportPrecision, PRECISIONS, TOKENIZER_FILES } from "./hf-files";
export { type HfImportOptions, type HfImportResult, hfImport } from "./hf-import";
export {
  adapterForHfClass,
  ConvertError,
  HF_ADAPTERS,
  hfConfig,
  ourConfigFromHf,
  planTensors,
} from "./hf-map";
export {
  formatInspect,
  type InspectFile,
  type InspectReport,
  type InspectTensor,
  inspect,
} from "./inspect";
export * from "./onnx/index";
export * from "./safetensors-dir";
