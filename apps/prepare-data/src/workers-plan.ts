// How many tokenizer workers to start: no more than --workers, than the CPUs this process may run on
// (os.availableParallelism, which honours CPU affinity), or than the batches the input makes (an idle
// worker still costs a thread and a tokenizer's memory). When that is fewer than asked, a note says
// what was used and why. Free memory is checked once the first worker shows its size (worker-pool.ts
// measures it, workersForMemory decides).

import { availableParallelism } from "node:os";
import type { InputFile } from "./inputs";
import { BATCH_BYTES } from "./sources";

export interface WorkerPlan {
  workers: number;
  /** Why fewer than asked, when they are. */
  note: string | undefined;
}

/**
 * Batches the input will make at most: line formats are cut into BATCH_BYTES batches, other formats
 * are one batch per file. A compressed file's decompressed size is unknown: it sets no bound.
 */
export function batchesOf(files: readonly InputFile[]): number {
  let n = 0;
  for (const f of files) {
    if (f.format !== "jsonl" && f.format !== "lines") n += 1;
    else if (f.compression !== "none") return Number.POSITIVE_INFINITY;
    else n += Math.max(1, Math.ceil(f.bytes / BATCH_BYTES));
  }
  return Math.max(n, 1);
}

export function planWorkers(
  asked: number,
  files: readonly InputFile[],
  cpus = availableParallelism(),
): WorkerPlan {
  const batches = batchesOf(files);
  const workers = Math.max(1, Math.min(asked, cpus, batches));
  if (workers === asked) return { workers, note: undefined };
  const why: string[] = [];
  if (cpus < asked)
    why.push(`this process can use ${cpus} CPU${cpus === 1 ? "" : "s"} (os.availableParallelism())`);
  if (batches < asked) {
    const mb = files.reduce((s, f) => s + f.bytes, 0) / 1e6;
    why.push(
      `the input (${mb.toFixed(1)} MB) makes ${batches} batch${batches === 1 ? "" : "es"} of up to ${BATCH_BYTES >> 20} MiB, so more workers would sit idle`,
    );
  }
  return { workers, note: `--workers ${asked}: using ${workers}; ${why.join(", and ")}` };
}

/** Share of the available memory the workers may take. */
const MEMORY_SHARE = 0.5;
/** No worker costs less than this (an isolate); RSS deltas are noisy. */
const MIN_WORKER_BYTES = 16 << 20;

/**
 * How many workers of `perWorker` bytes (what the first one added to this process's RSS) fit in
 * MEMORY_SHARE of `available` bytes, at least one; with a note when that is fewer than `asked`.
 */
export function workersForMemory(asked: number, perWorker: number, available: number): WorkerPlan {
  const each = Math.max(perWorker, MIN_WORKER_BYTES);
  const fit = Math.max(1, Math.floor((available * MEMORY_SHARE) / each));
  if (fit >= asked) return { workers: asked, note: undefined };
  const mb = (n: number) => `${Math.round(n / 1e6)} MB`;
  return {
    workers: fit,
    note: `--workers ${asked}: starting ${fit}; each worker takes about ${mb(each)} (its tokenizer) and ${mb(available)} of memory is available`,
  };
}
