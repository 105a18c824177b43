// The progress line: documents, documents/s, MB/s of input and an ETA (from --num-docs when given,
// else from the share of input bytes read). On a terminal it redraws one line; otherwise it prints a
// line at most every few seconds so logs stay readable, the first one after a second so a log shows
// early that the run is under way.

export interface ProgressState {
  docs: number;
  /** Decompressed input bytes handed to workers and written. */
  bytes: number;
  /** On-disk bytes read so far, and in total. */
  rawRead: number;
  rawTotal: number;
}

const REDRAW_MS = 100;
const LOG_EVERY_MS = 5000;
const FIRST_LOG_MS = 1000;

export class Progress {
  private readonly start = performance.now();
  private lastDraw: number;
  private lastDocs = 0;
  private readonly tty: boolean;
  /** A terminal line is drawn and not yet ended: other output must clear it first. */
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly logInterval: number,
    private readonly numDocs: number | undefined,
  ) {
    this.tty = out.isTTY === true;
    this.lastDraw = this.start - (this.tty ? 0 : LOG_EVERY_MS - FIRST_LOG_MS);
  }

  update(s: ProgressState, force = false): void {
    if (!force && s.docs - this.lastDocs < this.logInterval) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < (this.tty ? REDRAW_MS : LOG_EVERY_MS)) return;
    this.lastDraw = now;
    this.lastDocs = s.docs;
    const line = this.format(s, now);
    if (this.tty) {
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else this.out.write(`${line}\n`);
  }

  finish(s: ProgressState): void {
    this.update(s, true);
    if (this.tty) this.out.write("\n");
    this.drawn = false;
  }

  /**
   * Erases the terminal line, so a note, an error or the interrupted line printed next starts at
   * the left margin instead of after the bar; the next update draws it again.
   */
  clear(): void {
    if (!this.drawn) return;
    this.out.write("\r\x1b[K");
    this.drawn = false;
  }

  format(s: ProgressState, now = performance.now()): string {
    const secs = Math.max((now - this.start) / 1000, 1e-9);
    const frac = this.numDocs
      ? Math.min(s.docs / this.numDocs, 1)
      : s.rawTotal > 0
        ? Math.min(s.rawRead / s.rawTotal, 1)
        : 0;
    const width = 20;
    const filled = Math.round(frac * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const eta = frac > 0 && frac < 1 ? clock((secs * (1 - frac)) / frac) : frac >= 1 ? "0:00" : "?";
    const total = this.numDocs ? `/${this.numDocs}` : "";
    return `${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${s.docs}${total} docs, ${(s.docs / secs).toFixed(1)} docs/s, ${(s.bytes / secs / 1e6).toFixed(2)} MB/s of input, elapsed ${clock(secs)}, ETA ${eta}`;
  }
}

function clock(secs: number): string {
  const s = Math.round(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
