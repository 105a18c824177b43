// @neox/monitor: training metrics with GPT-NeoX's names, to the console, `<log_dir>/metrics.jsonl`
// and TensorBoard event files. Imports no other @neox package (DESIGN §2).
export { ConsoleSink, type ConsoleSinkOptions, type ConsoleStream, formatEvalLine } from "./console";
export {
  type ConsoleLineInput,
  formatConsoleLine,
  formatDuration,
  formatExponent,
  formatMemory,
  formatProgressBar,
  humanReadableFlops,
  type MemoryReport,
} from "./console-format";
export {
  type FlopsShape,
  flopsPerIteration,
  hardwareFlopsPerSecPerGpu,
  modelFlopsPerSecPerGpu,
  utilizationPercent,
} from "./flops";
export { JsonlSink, jsonNumber, METRICS_FILE } from "./jsonl";
export { METRIC, timerMetric } from "./names";
export { type RuntimeInputs, runtimeMetrics } from "./runtime";
export { type MetricSink, Monitor } from "./sink";
export { crc32c, maskCrc, maskedCrc32c } from "./tensorboard/crc32c";
export {
  encodeFileVersionEvent,
  encodeScalarEvent,
  FILE_VERSION,
  type ScalarValue,
} from "./tensorboard/events";
export {
  type DecodedEvent,
  DecodeError,
  decodeEventFile,
  readEventFileScalars,
  type Scalar as EventScalar,
} from "./tensorboard/reader";
export { encodeRecord } from "./tensorboard/tfrecord";
export { TensorBoardWriter, type TensorBoardWriterOptions } from "./tensorboard/writer";
