// GPT-NeoX's console line (megatron/logging.py `training_log`), as pure functions so the text is tested:
//  samples/sec: 12.345 | iteration      100/    1000 | elapsed time per iteration (ms): 81.0 |
//  learning rate: 6.000E-04 | approx flops per GPU: 1.2TFLOPS | lm_loss: 4.123457E+00 | ...
// followed by what GPT-NeoX leaves to DeepSpeed or omits: grad norm, tokens/s, MFU/HFU, ETA, memory.

import { METRIC } from "./names";

/** Device or process memory, in MB, as GPT-NeoX's `report_memory` prints it. */
export interface MemoryReport {
  allocatedMB: number;
  /** Omitted where the allocator keeps no high-water mark. */
  maxAllocatedMB?: number;
  reservedMB?: number;
  maxReservedMB?: number;
}

export interface ConsoleLineInput {
  iteration: number;
  train_iters: number;
  /** GPT-NeoX metric names; a missing metric leaves its field out of the line. */
  metrics: Readonly<Record<string, number>>;
  skippedIterations?: number;
  nanIterations?: number;
  etaSeconds?: number;
  memory?: MemoryReport;
}

/** `train/*` keys that are not losses: they have fields of their own, never `<name>: <mean loss>`. */
export const TRAIN_NON_LOSS: ReadonlySet<string> = new Set([
  METRIC.learningRate,
  METRIC.lossScale,
  METRIC.gradNorm,
  "train/noise_scale",
]);

/** One console line for `input`, fields separated by " | " and ending with " |" as GPT-NeoX's does. */
export function formatConsoleLine(input: ConsoleLineInput): string {
  const m = input.metrics;
  const fields: string[] = [];
  const add = (key: string, label: string, fmt: (v: number) => string) => {
    const v = m[key];
    if (v !== undefined) fields.push(`${label}: ${fmt(v)}`);
  };
  add(METRIC.samplesPerSec, "samples/sec", (v) => v.toFixed(3));
  fields.push(`iteration ${intField(input.iteration, 8)}/${intField(input.train_iters, 8)}`);
  add(METRIC.iterationTime, "elapsed time per iteration (ms)", (v) => (v * 1000).toFixed(1));
  add(METRIC.learningRate, "learning rate", (v) => formatExponent(v, 3));
  add(METRIC.flopsPerSecPerGpu, "approx flops per GPU", humanReadableFlops);
  for (const key of Object.keys(m)) {
    if (key.startsWith("train/") && !TRAIN_NON_LOSS.has(key)) {
      fields.push(`${key.slice("train/".length)}: ${formatExponent(m[key]!, 6)}`);
    }
  }
  add(METRIC.lossScale, "loss scale", (v) => v.toFixed(1));
  add(METRIC.gradNorm, "grad norm", (v) => formatExponent(v, 3));
  add(METRIC.tokensPerSec, "tokens/sec", (v) => v.toFixed(1));
  add(METRIC.modelFlopsUtilization, "MFU", (v) => `${v.toFixed(2)}%`);
  add(METRIC.hardwareFlopsUtilization, "HFU", (v) => `${v.toFixed(2)}%`);
  if (input.skippedIterations !== undefined) {
    fields.push(`number of skipped iterations: ${intField(input.skippedIterations, 3)}`);
  }
  if (input.nanIterations !== undefined) {
    fields.push(`number of nan iterations: ${intField(input.nanIterations, 3)}`);
  }
  if (input.etaSeconds !== undefined) fields.push(`ETA: ${formatDuration(input.etaSeconds)}`);
  if (input.memory !== undefined) fields.push(formatMemory(input.memory));
  return ` ${fields.join(" | ")} |`;
}

/** `memory (MB) | allocated: X | max allocated: X | reserved: X | max reserved: X`, as report_memory. */
export function formatMemory(mem: MemoryReport): string {
  const parts = [`memory (MB)`, `allocated: ${mem.allocatedMB.toFixed(1)}`];
  if (mem.maxAllocatedMB !== undefined) parts.push(`max allocated: ${mem.maxAllocatedMB.toFixed(1)}`);
  if (mem.reservedMB !== undefined) parts.push(`reserved: ${mem.reservedMB.toFixed(1)}`);
  if (mem.maxReservedMB !== undefined) parts.push(`max reserved: ${mem.maxReservedMB.toFixed(1)}`);
  return parts.join(" | ");
}

/** Python's `"{:.NE}"`: mantissa with `digits` decimals, `E`, a sign and at least two exponent digits. */
export function formatExponent(value: number, digits: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NAN" : value > 0 ? "INF" : "-INF";
  const [mantissa, exp] = value.toExponential(digits).split("e") as [string, string];
  const sign = exp.startsWith("-") ? "-" : "+";
  return `${mantissa}E${sign}${exp.replace(/^[+-]/, "").padStart(2, "0")}`;
}

/** GPT-NeoX's `human_readable_flops`: one decimal and the largest unit under 1000 (`1.2TFLOPS`). */
export function humanReadableFlops(value: number): string {
  const units = ["", "KFLOPS", "MFLOPS", "GFLOPS", "TFLOPS", "PFLOPS", "EFLOPS", "ZFLOPS"];
  let v = value;
  for (const unit of units) {
    if (Math.abs(v) < 1000) return `${v.toFixed(1)}${unit}`;
    v /= 1000;
  }
  return `${v.toFixed(1)}Yi`;
}

/** Seconds as `H:MM:SS`, with a `Nd ` prefix past a day; `?` for a value that is not a duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const total = Math.round(seconds);
  const days = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, "0");
  const ss = String(total % 60).padStart(2, "0");
  return `${days > 0 ? `${days}d ` : ""}${h}:${mm}:${ss}`;
}

/** `[########------]  57.1% 400/700 ETA 0:00:12`: bar of `width` cells for a terminal. */
export function formatProgressBar(
  iteration: number,
  trainIters: number,
  width: number,
  etaSeconds?: number,
): string {
  const frac = trainIters > 0 ? Math.min(1, Math.max(0, iteration / trainIters)) : 0;
  const filled = Math.round(frac * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const pct = `${(frac * 100).toFixed(1)}%`.padStart(6);
  const eta = etaSeconds === undefined ? "" : ` ETA ${formatDuration(etaSeconds)}`;
  return `${bar} ${pct} ${iteration}/${trainIters}${eta}`;
}

// Python's "{:8d}": right-aligned in `width` columns, never truncated.
function intField(value: number, width: number): string {
  return String(value).padStart(width);
}
