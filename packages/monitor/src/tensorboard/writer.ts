// A TensorBoard event-file writer for scalars: the file TensorBoard's loader globs for
// (`events.out.tfevents.<unix secs>.<hostname>`), a `file_version` event first, then one event per
// logged iteration. Records reach the file with a synchronous write each (a crashed process loses
// nothing already logged, and a running TensorBoard sees them at once); fsync, for durability
// against a machine crash, runs on flush(), close() and every `flushEvents` events or `flushSecs`.

import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import type { MetricSink } from "../sink";
import { encodeFileVersionEvent, encodeScalarEvent, type ScalarValue } from "./events";
import { encodeRecord } from "./tfrecord";

export interface TensorBoardWriterOptions {
  /** fsync after this many events since the last one (default 10, TensorFlow's `max_queue`). */
  flushEvents?: number;
  /** fsync when this many seconds passed since the last one (default 120, TensorFlow's `flush_secs`). */
  flushSecs?: number;
  /** Host name in the file name (default `os.hostname()`). */
  hostname?: string;
  /** Clock in milliseconds since the epoch (default `Date.now`); wall times and the file name use it. */
  now?: () => number;
}

/** Writes scalar summaries to a new event file in `dir` (created if missing). */
export class TensorBoardWriter implements MetricSink {
  /** The event file this writer appends to. */
  readonly path: string;
  private fd: number | undefined;
  private readonly flushEvents: number;
  private readonly flushMs: number;
  private readonly now: () => number;
  private unsynced = 0;
  private lastSync: number;
  private syncCount = 0;

  constructor(dir: string, options: TensorBoardWriterOptions = {}) {
    this.flushEvents = positive(options.flushEvents ?? 10, "flushEvents");
    this.flushMs = positive(options.flushSecs ?? 120, "flushSecs") * 1000;
    this.now = options.now ?? Date.now;
    mkdirSync(dir, { recursive: true });
    const start = this.now();
    const base = join(
      dir,
      `events.out.tfevents.${Math.floor(start / 1000)}.${options.hostname ?? osHostname()}`,
    );
    // Two writers opened in the same second on one host would share a name; never overwrite one,
    // take the next free suffix (TensorBoard reads any file whose name contains "tfevents").
    let path = base;
    for (let n = 1; this.fd === undefined; n++) {
      try {
        this.fd = openSync(path, "wx");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || n > 1000) throw e;
        path = `${base}.${n}`;
      }
    }
    this.path = path;
    this.lastSync = start;
    this.append(encodeFileVersionEvent(start / 1000));
    this.flush();
  }

  /** One scalar at `step`. */
  addScalar(tag: string, value: number, step: number): void {
    this.addScalars(step, [{ tag, value }]);
  }

  /** Several scalars at `step`, in one event. */
  addScalars(step: number, values: readonly ScalarValue[]): void {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`${this.path}: step must be an integer >= 0, got ${step}`);
    }
    if (values.length === 0) return;
    const now = this.now();
    this.append(encodeScalarEvent(now / 1000, step, values));
    this.unsynced++;
    if (this.unsynced >= this.flushEvents || now - this.lastSync >= this.flushMs) this.flush();
  }

  /** MetricSink: every metric becomes a scalar with its name as the tag, at step `iteration`. */
  log(iteration: number, metrics: Readonly<Record<string, number>>): void {
    this.addScalars(
      iteration,
      Object.entries(metrics).map(([tag, value]) => ({ tag, value })),
    );
  }

  /** How many times the file was fsynced (the flush policy, observable). */
  get syncs(): number {
    return this.syncCount;
  }

  /** fsync the file so what was written survives a machine crash. */
  flush(): void {
    fsyncSync(this.openFd());
    this.syncCount++;
    this.unsynced = 0;
    this.lastSync = this.now();
  }

  /** Flush and close; later calls to close do nothing, later writes throw. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private append(data: Uint8Array): void {
    const record = encodeRecord(data);
    const fd = this.openFd();
    let off = 0;
    while (off < record.length) off += writeSync(fd, record, off, record.length - off);
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path}: TensorBoard writer is closed`);
    return this.fd;
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`TensorBoardWriter option ${name}: expected a finite number > 0, got ${value}`);
  }
  return value;
}
