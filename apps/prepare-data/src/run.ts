// The pipeline: read inputs in order -> tokenizer workers -> results in input order -> one writer per
// key. Problem lines are reported with file and line and counted (fatal under --strict, report.ts); a
// key that gets no documents is an error unless --allow-empty. On any failure, or when `io.signal`
// aborts (SIGINT/SIGTERM through the neox command), reading stops, the workers are terminated, the
// temporary outputs are removed and nothing is renamed into place.

import { removeStaleTemporaries } from "@neox/data-mmap";
import { DEFAULT_MAX_DOCUMENT_MB, type PrepareArgs } from "./args";
import { expandInputs, type InputFile } from "./inputs";
import type { BatchResult, ProblemKind, WorkerConfig } from "./messages";
import { KeyOutputs, outputPrefixFor } from "./outputs";
import { Progress, type ProgressState } from "./progress";
import { ProblemReport } from "./report";
import { fileBatches } from "./sources";
import { WorkerPool } from "./worker-pool";
import { planWorkers } from "./workers-plan";

export { StrictError } from "./report";

export interface RunIO {
  stderr: NodeJS.WriteStream;
  /** Files to read instead of expanding args.input (the embedded default passes its own). */
  files?: InputFile[];
  /** Stops the run: reading ends, workers are terminated, temporaries removed; rejects with its reason. */
  signal?: AbortSignal;
}

export interface KeySummary {
  key: string;
  prefix: string;
  documents: number;
  tokens: number;
  dtype: string;
  emptyValues: number;
  noTokens: number;
}

export interface RunSummary {
  records: number;
  inputBytes: number;
  textBytes: number;
  seconds: number;
  /** Malformed lines (skipped); `problems` has every kind. */
  malformed: number;
  problems: Record<ProblemKind, number>;
  /** Worker threads used (--workers, reduced to what the machine and the input can use). */
  workers: number;
  engine: string;
  keys: KeySummary[];
}

/** A key that would get a dataset with no documents (the run writes nothing); exit 1. */
export class EmptyDatasetError extends Error {}

export async function prepareData(args: PrepareArgs, io: RunIO): Promise<RunSummary> {
  let progress: Progress | undefined;
  const warn = (msg: string) => {
    progress?.clear();
    io.stderr.write(`prepare-data: ${msg}\n`);
  };
  const signal = io.signal;
  signal?.throwIfAborted();
  const files = io.files ?? expandInputs(args.input, { warn, allowEmpty: args.allowEmpty === true });
  const maxDocumentBytes = args.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_MB << 20;
  removeStaleOutputs(args, warn);
  const plan = planWorkers(args.workers, files);
  if (plan.note) warn(plan.note);
  const started = performance.now();
  const { pool, info } = await WorkerPool.start(plan.workers, workerConfig(args), { note: warn });
  const onAbort = () => pool.fail(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let outputs: KeyOutputs;
  try {
    signal?.throwIfAborted();
    outputs = new KeyOutputs(args.outputPrefix, args.jsonlKeys, info.vocabSize);
  } catch (err) {
    signal?.removeEventListener("abort", onAbort);
    await pool.close();
    throw err;
  }
  const state: ProgressState = {
    docs: 0,
    bytes: 0,
    rawRead: 0,
    rawTotal: files.reduce((n, f) => n + f.bytes, 0),
  };
  progress = new Progress(io.stderr, args.logInterval, args.numDocs);
  const report = new ProblemReport(warn, args.strict);
  const totals = {
    textBytes: 0,
    empty: args.jsonlKeys.map(() => 0),
    noTokens: args.jsonlKeys.map(() => 0),
    recordKeys: undefined as string[] | undefined,
  };
  const docsPerKey = args.jsonlKeys.map(() => 0);

  // Results are consumed strictly in submission order.
  const queue: {
    seq: number;
    result: Promise<BatchResult>;
    file: InputFile;
    bytes: number;
    firstLine: number;
  }[] = [];
  const consume = async () => {
    const head = queue.shift()!;
    const r = await head.result;
    report.add(head.file.path, head.firstLine, r);
    outputs.append(r.keys);
    r.keys.forEach((k, i) => {
      docsPerKey[i]! += k.sizes.length;
    });
    r.emptyValues.forEach((n, i) => {
      totals.empty[i]! += n;
    });
    r.noTokens.forEach((n, i) => {
      totals.noTokens[i]! += n;
    });
    totals.recordKeys ??= r.recordKeys;
    totals.textBytes += r.textBytes;
    state.docs += r.records;
    state.bytes += head.bytes;
    pool.release(r.seq);
    progress.update(state);
  };

  try {
    for (const file of files) {
      const batches = fileBatches(file, (n) => (state.rawRead += n), maxDocumentBytes, signal);
      for await (const batch of batches) {
        signal?.throwIfAborted();
        const bytes = batch.bytes.length;
        while (pool.full) await consume(); // backpressure: write the oldest result first
        const { seq, result } = pool.submit(batch.format, batch.bytes);
        queue.push({ seq, result, file, bytes, firstLine: batch.firstLine });
        // Write whatever is already finished, in order, without waiting for later batches.
        while (queue.length > 0 && pool.isDone(queue[0]!.seq)) await consume();
      }
    }
    while (queue.length > 0) await consume();
    signal?.throwIfAborted();
    if (!args.allowEmpty) refuseEmpty(args, files, state.docs, report.counts.malformed, docsPerKey, totals);
    progress.finish(state);
    outputs.finalize();
  } catch (err) {
    progress.clear(); // the error (or the interrupted line) is printed next
    outputs.abort();
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await pool.close();
  }

  return {
    records: state.docs,
    inputBytes: state.bytes,
    textBytes: totals.textBytes,
    seconds: (performance.now() - started) / 1000,
    malformed: report.counts.malformed,
    problems: report.counts,
    workers: pool.size,
    engine: info.engine,
    keys: args.jsonlKeys.map((key, k) => ({
      key,
      prefix: outputPrefixFor(args.outputPrefix, key),
      documents: docsPerKey[k]!,
      tokens: outputs.tokens[k]!,
      dtype: outputs.writers[k]!.dtype,
      emptyValues: totals.empty[k]!,
      noTokens: totals.noTokens[k]!,
    })),
  };
}

/** Temporaries of these outputs left by a run that was killed (its pid is gone) are removed, and said. */
function removeStaleOutputs(args: PrepareArgs, warn: (msg: string) => void): void {
  const removed = args.jsonlKeys.flatMap((key) => {
    const prefix = outputPrefixFor(args.outputPrefix, key);
    return [...removeStaleTemporaries(`${prefix}.bin`), ...removeStaleTemporaries(`${prefix}.idx`)];
  });
  if (removed.length === 0) return;
  const shown =
    removed.slice(0, 3).join(", ") + (removed.length > 3 ? ` and ${removed.length - 3} more` : "");
  warn(
    `removed ${removed.length} temporary file${removed.length === 1 ? "" : "s"} left by an earlier run that was killed: ${shown}`,
  );
}

/** Throws EmptyDatasetError naming each key that got no documents, and why. */
function refuseEmpty(
  args: PrepareArgs,
  files: readonly InputFile[],
  records: number,
  malformed: number,
  docsPerKey: readonly number[],
  totals: { empty: number[]; noTokens: number[]; recordKeys: string[] | undefined },
): void {
  const empty = args.jsonlKeys.flatMap((key, k) => (docsPerKey[k] === 0 ? [{ key, k }] : []));
  if (empty.length === 0) return;
  const reasons = empty.map(({ key, k }) => {
    const prefix = outputPrefixFor(args.outputPrefix, key);
    if (files.length === 0) return `${prefix}: there are no input files`;
    if (records === 0) {
      const bytes = files.reduce((n, f) => n + f.bytes, 0);
      const where = `the input (${files.length} file${files.length === 1 ? "" : "s"}, ${bytes} bytes on disk)`;
      return malformed > 0
        ? `${prefix}: every line of ${where} is malformed (${malformed})`
        : `${prefix}: ${where} holds no records`;
    }
    if (totals.empty[k] === records) {
      const seen = totals.recordKeys
        ? ` (the first record has ${totals.recordKeys.map((f) => `"${f}"`).join(", ") || "no fields"})`
        : "";
      return `${prefix}: key "${key}" is missing, null or empty in all ${records} records${seen}`;
    }
    return `${prefix}: none of the ${records} records gives key "${key}" text with tokens (${totals.empty[k]} missing or empty, ${totals.noTokens[k]} without tokens)`;
  });
  throw new EmptyDatasetError(
    `no documents to write: ${reasons.join("; ")}; nothing was written (--allow-empty writes empty datasets)`,
  );
}

function workerConfig(args: PrepareArgs): WorkerConfig {
  return {
    tokenizerType: args.tokenizerType,
    vocabFile: args.vocabFile,
    mergeFile: args.mergeFile,
    jsonlKeys: args.jsonlKeys,
    appendEod: args.appendEod,
  };
}
