// A pool of tokenizer worker threads. Each batch goes to the worker with the fewest batches
// outstanding; the caller consumes results in submission order and must not submit while `full`, so
// reading never runs far ahead of tokenizing (GPT-NeoX bounds it with a semaphore).
//
// The worker runs from `worker.ts` (through worker-from-source.mjs) when this file runs from sources,
// and from `worker.js` next to the bundle in a tsup build, which emits it as its own entry.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BatchMessage, BatchResult, WorkerConfig, WorkerReply } from "./messages";

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

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly outstanding: number[];
  private readonly pending = new Map<number, Pending>();
  private readonly done = new Map<number, BatchResult>();
  private nextSeq = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly size: number,
    private readonly maxInFlight: number,
  ) {
    this.outstanding = new Array<number>(size).fill(0);
  }

  /** Starts `size` workers and waits until each has built its tokenizer. */
  static async start(size: number, config: WorkerConfig): Promise<{ pool: WorkerPool; info: WorkerInfo }> {
    const pool = new WorkerPool(size, size * 2 + 2);
    const { file, execArgv } = workerEntry();
    const ready: Promise<WorkerInfo>[] = [];
    for (let w = 0; w < size; w++) {
      const worker = new Worker(file, { workerData: config, execArgv });
      pool.workers.push(worker);
      ready.push(
        new Promise<WorkerInfo>((resolve, reject) => {
          worker.once("error", reject);
          worker.once("message", (msg: WorkerReply) => {
            if (msg.kind === "ready") resolve(msg);
            else
              reject(
                new Error(msg.kind === "error" ? msg.message : "worker sent a result before it was ready"),
              );
          });
        }),
      );
    }
    let infos: WorkerInfo[];
    try {
      infos = await Promise.all(ready);
    } catch (err) {
      await pool.close();
      throw err;
    }
    pool.workers.forEach((worker, w) => {
      worker.on("message", (msg: WorkerReply) => pool.onReply(w, msg));
      worker.on("error", (err) => pool.fail(err));
      worker.on("exit", (code) => {
        if (code !== 0) pool.fail(new Error(`tokenizer worker ${w} exited with code ${code}`));
      });
    });
    return { pool, info: infos[0]! };
  }

  /** True while as many batches are in flight as the pool allows; consume a result before submitting. */
  get full(): boolean {
    return this.pending.size + this.done.size >= this.maxInFlight;
  }

  /** Sends a batch to the least busy worker (its buffer is transferred) and returns its result. */
  submit(format: BatchMessage["format"], bytes: Uint8Array): { seq: number; result: Promise<BatchResult> } {
    if (this.failure) throw this.failure;
    const seq = this.nextSeq++;
    let w = 0;
    for (let k = 1; k < this.size; k++) if (this.outstanding[k]! < this.outstanding[w]!) w = k;
    this.outstanding[w]!++;
    const result = new Promise<BatchResult>((resolve, reject) =>
      this.pending.set(seq, { resolve, reject, worker: w }),
    );
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
  }

  private onReply(w: number, msg: WorkerReply): void {
    if (msg.kind === "ready") return;
    if (msg.kind === "error") {
      this.fail(new Error(`tokenizer worker ${w}: ${msg.message}`));
      return;
    }
    const p = this.pending.get(msg.result.seq);
    if (!p) return;
    this.pending.delete(msg.result.seq);
    this.outstanding[p.worker]!--;
    this.done.set(msg.result.seq, msg.result);
    p.resolve(msg.result);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
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
