// The console sink: GPT-NeoX's line every `log_interval` iterations (losses averaged over the
// interval, as GPT-NeoX averages its `total_loss_dict`), and on a terminal a progress bar redrawn
// in place between lines. When stdout is not a TTY (a log file, a pipe, CI) only the lines appear.

import {
  formatConsoleLine,
  formatExponent,
  formatProgressBar,
  type MemoryReport,
  TRAIN_NON_LOSS,
} from "./console-format";
import { METRIC } from "./names";
import type { MetricSink } from "./sink";

/** What the sink writes to: `process.stdout` or anything with its `write` and `isTTY`. */
export interface ConsoleStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ConsoleSinkOptions {
  train_iters: number;
  /** Print a line when iteration % log_interval == 0, and at the last iteration (default 1). */
  log_interval?: number;
  stream?: ConsoleStream;
  /** Draw the progress bar (default: when the stream is a TTY). */
  progress?: boolean;
  /** Skipped (fp16 overflow) iterations so far, shown on every line when given. */
  skipped?: () => number;
  /** Memory for the first line only, as GPT-NeoX reports memory once. */
  memory?: () => MemoryReport | undefined;
  /** Clock in milliseconds (default `Date.now`): ETA before `runtime/iteration_time` arrives, bar redraws. */
  now?: () => number;
}

const BAR_REDRAW_MS = 100;
const CLEAR_LINE = "\r\x1b[K";

export class ConsoleSink implements MetricSink {
  private readonly trainIters: number;
  private readonly logInterval: number;
  private readonly stream: ConsoleStream;
  private readonly progress: boolean;
  private readonly memory: (() => MemoryReport | undefined) | undefined;
  private readonly skipped: (() => number) | undefined;
  private readonly now: () => number;
  private lossSums = new Map<string, { sum: number; n: number }>();
  private nanIterations = 0;
  private memoryShown = false;
  private barShown = false;
  private lastBarAt = -Infinity;
  private reportedSeconds: number | undefined;
  private measuredSeconds: number | undefined;
  private firstSeen: { iteration: number; at: number } | undefined;

  constructor(options: ConsoleSinkOptions) {
    if (!Number.isSafeInteger(options.train_iters) || options.train_iters < 0) {
      throw new RangeError(`ConsoleSink: train_iters must be an integer >= 0, got ${options.train_iters}`);
    }
    const interval = options.log_interval ?? 1;
    if (!Number.isSafeInteger(interval) || interval < 1) {
      throw new RangeError(`ConsoleSink: log_interval must be an integer >= 1, got ${interval}`);
    }
    this.trainIters = options.train_iters;
    this.logInterval = interval;
    this.stream = options.stream ?? process.stdout;
    this.progress = options.progress ?? this.stream.isTTY === true;
    this.memory = options.memory;
    this.skipped = options.skipped;
    this.now = options.now ?? Date.now;
  }

  log(iteration: number, metrics: Readonly<Record<string, number>>): void {
    const evalLine = formatEvalLine(iteration, metrics);
    if (evalLine !== null) {
      this.line(evalLine);
      return;
    }
    this.accumulate(metrics);
    this.trackSpeed(iteration, metrics);
    const due = iteration % this.logInterval === 0 || iteration === this.trainIters;
    if (due) {
      const averaged: Record<string, number> = { ...metrics };
      for (const [key, { sum, n }] of this.lossSums) averaged[key] = n > 0 ? sum / n : Number.NaN;
      const memory = this.memoryShown ? undefined : this.memory?.();
      if (memory !== undefined) this.memoryShown = true;
      this.line(
        formatConsoleLine({
          iteration,
          train_iters: this.trainIters,
          metrics: averaged,
          nanIterations: this.nanIterations,
          ...(this.skipped ? { skippedIterations: this.skipped() } : {}),
          etaSeconds: this.eta(iteration),
          memory,
        }),
      );
      this.lossSums = new Map();
      this.nanIterations = 0;
    }
    this.drawBar(iteration, due);
  }

  event(kind: string, text: string, iteration?: number): void {
    this.line(iteration === undefined ? ` ${kind}: ${text}` : ` iteration ${iteration} | ${kind}: ${text}`);
  }

  flush(): void {}

  close(): void {
    if (this.barShown) this.stream.write("\n");
    this.barShown = false;
  }

  // Losses are averaged over the interval like GPT-NeoX's total_loss_dict; a non-finite loss is
  // counted as a nan iteration and kept out of the mean.
  private accumulate(metrics: Readonly<Record<string, number>>): void {
    let nan = false;
    for (const [key, value] of Object.entries(metrics)) {
      if (!key.startsWith("train/") || TRAIN_NON_LOSS.has(key)) continue;
      const acc = this.lossSums.get(key) ?? { sum: 0, n: 0 };
      if (Number.isFinite(value)) {
        acc.sum += value;
        acc.n++;
      } else {
        nan = true;
      }
      this.lossSums.set(key, acc);
    }
    if (nan) this.nanIterations++;
  }

  // ETA prefers the trainer's `runtime/iteration_time`; until one arrives, the mean wall time per
  // iteration since the first log call.
  private trackSpeed(iteration: number, metrics: Readonly<Record<string, number>>): void {
    const t = metrics[METRIC.iterationTime];
    if (t !== undefined && Number.isFinite(t) && t > 0) {
      this.reportedSeconds = t;
      return;
    }
    const now = this.now();
    if (this.firstSeen === undefined) {
      this.firstSeen = { iteration, at: now };
    } else if (iteration > this.firstSeen.iteration) {
      this.measuredSeconds = (now - this.firstSeen.at) / 1000 / (iteration - this.firstSeen.iteration);
    }
  }

  private eta(iteration: number): number | undefined {
    const perIteration = this.reportedSeconds ?? this.measuredSeconds;
    if (perIteration === undefined) return undefined;
    return Math.max(0, this.trainIters - iteration) * perIteration;
  }

  private line(text: string): void {
    this.stream.write(this.barShown ? `${CLEAR_LINE}${text}\n` : `${text}\n`);
    this.barShown = false;
  }

  private drawBar(iteration: number, force: boolean): void {
    if (!this.progress) return;
    const now = this.now();
    if (!force && now - this.lastBarAt < BAR_REDRAW_MS && iteration !== this.trainIters) return;
    this.lastBarAt = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40));
    this.stream.write(
      `${CLEAR_LINE}${formatProgressBar(iteration, this.trainIters, width, this.eta(iteration))}`,
    );
    this.barShown = true;
  }
}

/**
 * GPT-NeoX's evaluation report (training.py evaluate_and_print_results) for a call holding only
 * `validation/*` or `test/*` metrics, framed by dashes; null for any other call.
 *   " validation results at iteration 10 | lm_loss value: 4.123457E+00 | lm_loss_ppl value: ... | "
 */
export function formatEvalLine(iteration: number, metrics: Readonly<Record<string, number>>): string | null {
  const keys = Object.keys(metrics);
  if (keys.length === 0) return null;
  const chart = keys[0]!.split("/")[0]!;
  if ((chart !== "validation" && chart !== "test") || keys.some((k) => !k.startsWith(`${chart}/`)))
    return null;
  let text = ` ${chart} results at iteration ${iteration} | `;
  for (const k of keys) text += `${k.slice(chart.length + 1)} value: ${formatExponent(metrics[k]!, 6)} | `;
  const rule = "-".repeat(text.length + 1);
  return `${rule}\n${text}\n${rule}`;
}
