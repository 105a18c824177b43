// ONNX export of the decoder and an ONNX Runtime engine for it (issue 12 item 5).
export { type DecoderGraphOptions, decoderGraph } from "./decoder-graph";
export {
  checkpointConfig,
  exportOnnxModel,
  maxPositions,
  ONNX_OPSET,
  type OnnxExportOptions,
  type OnnxExportResult,
  onnxExport,
} from "./export";
export { ONNX_EXPORT_USAGE, parseOnnxExportArgs } from "./export-args";
export type { Precision as OnnxPrecision } from "./graph-builder";
export { OrtEngine, type OrtEngineOptions } from "./ort-engine";
export { OrtSession, type OrtSessionOptions } from "./ort-session";
