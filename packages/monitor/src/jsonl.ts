// `<log_dir>/metrics.jsonl`: one JSON object per logged iteration, `{"iteration": N, "<name>": value, ...}`
// with GPT-NeoX's metric names as keys. Each line is written with one synchronous write, so a crash
// loses nothing already logged; a resumed run appends to the same file.

import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { MetricSink } from "./sink";

export const METRICS_FILE = "metrics.jsonl";

/**
 * JSON has no NaN or Infinity; writing them as the strings "NaN", "Infinity", "-Infinity" keeps
 * every line valid JSON while still saying what the number was (a diverged loss is worth seeing).
 */
export function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** Appends metrics as JSON lines to `<logDir>/metrics.jsonl` (directory created if missing). */
export class JsonlSink implements MetricSink {
  readonly path: string;
  private fd: number | undefined;

  constructor(logDir: string) {
    mkdirSync(logDir, { recursive: true });
    this.path = join(logDir, METRICS_FILE);
    this.fd = openSync(this.path, "a+"); // read as well: the tail check below
    // A run killed mid-write may have left a partial last line; start ours on a fresh line so
    // only that one line is lost, not the first one of the resumed run as well.
    if (!endsWithNewlineOrEmpty(this.fd)) this.write("\n");
  }

  log(iteration: number, metrics: Readonly<Record<string, number>>): void {
    if (!Number.isSafeInteger(iteration) || iteration < 0) {
      throw new RangeError(`${this.path}: iteration must be an integer >= 0, got ${iteration}`);
    }
    const row: Record<string, number | string> = { iteration };
    for (const [key, value] of Object.entries(metrics)) {
      if (key === "iteration") throw new Error(`${this.path}: metric name "iteration" is reserved`);
      if (typeof value !== "number") {
        throw new TypeError(
          `${this.path}: metric ${key} at iteration ${iteration} is ${typeof value}, expected a number`,
        );
      }
      row[key] = jsonNumber(value);
    }
    this.write(JSON.stringify(row) + "\n");
  }

  /** One-off events go in the same file as `{"iteration": N, "event": kind, "text": text}`. */
  event(kind: string, text: string, iteration?: number): void {
    const row = iteration === undefined ? { event: kind, text } : { iteration, event: kind, text };
    this.write(JSON.stringify(row) + "\n");
  }

  flush(): void {
    fsyncSync(this.openFd());
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(text: string): void {
    const bytes = Buffer.from(text, "utf8");
    const fd = this.openFd();
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path}: metrics sink is closed`);
    return this.fd;
  }
}

function endsWithNewlineOrEmpty(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
