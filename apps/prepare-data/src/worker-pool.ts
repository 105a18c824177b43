// A pool of tokenizer worker threads. Each batch goes to the worker with the fewest batches
// outstanding; the caller consumes results in submission order and must not submit while `full`, so
// reading never runs far ahead of tokenizing (GPT-NeoX bounds it with a semaphore). `full` counts both
// batches and bytes in flight, so memory stays bounded even when batches are large (a long document).
//
// The first worker starts alone: the memory it takes (its isolate and its tokenizer) decides how many
// more the free memory allows, before any of them exist.
//
// The worker runs from `worker.ts` (through worker-from-source.mjs) when this file runs from sources,
// and from `worker.js` next to the bundle in a tsup build, which emits it as its own entry.

import { existsSync } from "node:fs";
import { freemem } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BatchMessage, BatchResult, WorkerConfig, WorkerReply } from "./messages";
import { BATCH_BYTES } from "./sources";
import { workersForMemory } from "./workers-plan";

export interface WorkerInfo {
  vocabSize: number;
  eod: number;
  engine: string;
}

interface Pending {
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
  worker: number;
}

/** Batches in flight per worker, and bytes in flight per worker (a multiple of BATCH_BYTES). */
const BATCHES_PER_WORKER = 2;
const BYTES_PER_WORKER = 4 * BATCH_BYTES;

export interface StartOptions {
  /** Hears why fewer workers than asked were started. */
  note: (msg: string) => void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private outstanding: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly done = new Map<number, BatchResult>();
  private readonly bytesOf = new Map<number, number>();
  private inFlightBytes = 0;
  private nextSeq = 0;
  private failure: Error | undefined;
  private closing = false;

  private constructor(private readonly config: WorkerConfig) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts up to `size` workers (fewer if memory is short) and waits until each has its tokenizer. */
  static async start(
    size: number,
    config: WorkerConfig,
    opts: StartOptions,
  ): Promise<{ pool: WorkerPool; info: WorkerInfo }> {
    const pool = new WorkerPool(config);
    try {
      const rssBefore = process.memoryUsage.rss();
      const info = await pool.spawn(1);
      const plan = workersForMemory(size, process.memoryUsage.rss() - rssBefore, availableMemory());
      if (plan.note) opts.note(plan.note);
      if (plan.workers > 1) await pool.spawn(plan.workers - 1);
      pool.outstanding = new Array<number>(pool.size).fill(0);
      return { pool, info };
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  private async spawn(count: number): Promise<WorkerInfo> {
    const { file, execArgv } = workerEntry();
    const ready: Promise<WorkerInfo>[] = [];
    for (let k = 0; k < count; k++) {
      const w = this.workers.length;
      const worker = new Worker(file, { workerData: this.config, execArgv });
      this.workers.push(worker);
      ready.push(
        new Promise<WorkerInfo>((resolve, reject) => {
          const onError = (err: Error) => reject(err);
          worker.once("error", onError);
          worker.once("message", (msg: WorkerReply) => {
            worker.removeListener("error", onError);
            if (msg.kind !== "ready") {
              reject(
                msg.kind === "error"
                  ? remoteError(msg, this.tokenizerContext())
                  : new Error("worker sent a result before it was ready"),
              );
              return;
            }
            worker.on("message", (m: WorkerReply) => this.onReply(w, m));
            worker.on("error", (err) => this.fail(err));
            worker.on("exit", (code) => {
              if (!this.closing && code !== 0)
                this.fail(new Error(`tokenizer worker ${w} exited with code ${code}`));
            });
            resolve(msg);
          });
        }),
      );
    }
    const infos = await Promise.all(ready);
    return infos[0]!;
  }

  private tokenizerContext(): string {
    const c = this.config;
    const files = [c.vocabFile, c.mergeFile].filter((f) => f !== undefined).join(", ");
    return `cannot load the ${c.tokenizerType} tokenizer${files ? ` from ${files}` : ""}`;
  }

  /** True while the pool holds as many batches or bytes as it allows; consume a result first. */
  get full(): boolean {
    const batches = this.pending.size + this.done.size;
    return (
      batches >= this.size * BATCHES_PER_WORKER + 2 || this.inFlightBytes >= this.size * BYTES_PER_WORKER
    );
  }

  /** Sends a batch to the least busy worker (its buffer is transferred) and returns its result. */
  submit(format: BatchMessage["format"], bytes: Uint8Array): { seq: number; result: Promise<BatchResult> } {
    if (this.failure) throw this.failure;
    const seq = this.nextSeq++;
    let w = 0;
    for (let k = 1; k < this.size; k++) if (this.outstanding[k]! < this.outstanding[w]!) w = k;
    this.outstanding[w]!++;
    this.bytesOf.set(seq, bytes.length);
    this.inFlightBytes += bytes.length;
    const result = new Promise<BatchResult>((resolve, reject) =>
      this.pending.set(seq, { resolve, reject, worker: w }),
    );
    // A failure rejects every batch in flight at once; the caller hears it when it awaits the oldest,
    // the others must not count as unhandled meanwhile.
    result.catch(() => {});
    const msg: BatchMessage = { seq, format, bytes };
    this.workers[w]!.postMessage(msg, [bytes.buffer as ArrayBuffer]);
    return { seq, result };
  }

  /** Whether batch `seq`'s result has arrived (and is not yet released). */
  isDone(seq: number): boolean {
    return this.done.has(seq);
  }

  /** Called once the caller has consumed a result, freeing its slot. */
  release(seq: number): void {
    this.done.delete(seq);
    this.inFlightBytes -= this.bytesOf.get(seq) ?? 0;
    this.bytesOf.delete(seq);
  }

  private onReply(w: number, msg: WorkerReply): void {
    if (msg.kind === "ready") return;
    if (msg.kind === "error") {
      this.fail(remoteError(msg, `tokenizer worker ${w}`));
      return;
    }
    const p = this.pending.get(msg.result.seq);
    if (!p) return;
    this.pending.delete(msg.result.seq);
    this.outstanding[p.worker]!--;
    this.done.set(msg.result.seq, msg.result);
    p.resolve(msg.result);
  }

  /** Fails every batch in flight and every later submit with `err` (a worker error, or an interrupt). */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Terminates every worker thread (also those busy with a batch). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** An error reported by a worker, with its stack kept as the cause (printed under NEOX_DEBUG=1). */
function remoteError(msg: Extract<WorkerReply, { kind: "error" }>, context: string): Error {
  const cause = new Error(msg.message);
  if (msg.stack) cause.stack = msg.stack;
  return new Error(`${context}: ${msg.message}`, { cause });
}

/** The memory this process may still use: free memory, or what a cgroup limit leaves if less. */
function availableMemory(): number {
  let available = freemem();
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (limit && limit > 0) available = Math.min(available, limit - process.memoryUsage.rss());
  return available;
}

function workerEntry(): { file: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) {
    const file = new URL("./worker.js", here);
    if (!existsSync(fileURLToPath(file))) {
      throw new Error(
        `prepare-data: worker script ${fileURLToPath(file)} is missing; rebuild with \`pnpm --filter @neox/app-prepare-data build\``,
      );
    }
    return { file, execArgv: inheritableExecArgv() };
  }
  // Running from sources: a bootstrap registers the TypeScript loader inside the thread.
  return { file: new URL("./worker-from-source.mjs", here), execArgv: ["--conditions=@neox/source"] };
}

/** The parent's Node flags minus those that only make sense for a main script (`-e`, `--input-type`). */
function inheritableExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--input-type")) continue;
    if (a === "-e" || a === "--eval" || a === "-p" || a === "--print") {
      i++; // and its script
      continue;
    }
    out.push(a);
  }
  return out;
}
