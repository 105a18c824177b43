// A progress bar with requests per second on stderr, redrawn at most ten times a second, only on a
// terminal (a log file gets one summary line per task instead).
import { formatProgressBar } from "@neox/monitor";

const CLEAR_LINE = "\r\x1b[K";

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
  ) {}

  update(done: number, total: number): void {
    if (this.stream.isTTY !== true) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const secs = (now - this.t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (total - done) / rate : undefined;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 60));
    this.stream.write(
      `${CLEAR_LINE}${this.label} ${formatProgressBar(done, total, width, eta)} ${rate.toFixed(1)} req/s`,
    );
    this.shown = true;
  }

  /** Clears the bar and writes the task's summary line. */
  finish(done: number): void {
    const secs = (performance.now() - this.t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    this.stream.write(
      `${this.shown ? CLEAR_LINE : ""}${this.label}: ${done} requests in ${secs.toFixed(1)} s (${rate.toFixed(1)} req/s)\n`,
    );
  }
}
