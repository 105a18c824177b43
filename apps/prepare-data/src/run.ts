// The pipeline: read inputs in order -> tokenizer workers -> results in input order -> one writer per
// key. Malformed lines are reported with file and line and counted (fatal under --strict); on any
// failure the temporary outputs are removed and nothing is renamed into place.

import type { PrepareArgs } from "./args";
import { expandInputs, type InputFile } from "./inputs";
import type { BatchResult, WorkerConfig } from "./messages";
import { KeyOutputs, outputPrefixFor } from "./outputs";
import { Progress, type ProgressState } from "./progress";
import { fileBatches } from "./sources";
import { WorkerPool } from "./worker-pool";

export interface RunIO {
  stderr: NodeJS.WriteStream;
  /** Files to read instead of expanding args.input (the embedded default passes its own). */
  files?: InputFile[];
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
  malformed: number;
  engine: string;
  keys: KeySummary[];
}

export class StrictError extends Error {}

const MAX_PRINTED_PROBLEMS = 20;

export async function prepareData(args: PrepareArgs, io: RunIO): Promise<RunSummary> {
  const warn = (msg: string) => io.stderr.write(`prepare-data: ${msg}\n`);
  const files = io.files ?? expandInputs(args.input, warn);
  const started = performance.now();
  const { pool, info } = await WorkerPool.start(args.workers, workerConfig(args));
  let outputs: KeyOutputs;
  try {
    outputs = new KeyOutputs(args.outputPrefix, args.jsonlKeys, info.vocabSize);
  } catch (err) {
    await pool.close();
    throw err;
  }
  const state: ProgressState = {
    docs: 0,
    bytes: 0,
    rawRead: 0,
    rawTotal: files.reduce((n, f) => n + f.bytes, 0),
  };
  const progress = new Progress(io.stderr, args.logInterval, args.numDocs);
  const totals = {
    malformed: 0,
    textBytes: 0,
    empty: args.jsonlKeys.map(() => 0),
    noTokens: args.jsonlKeys.map(() => 0),
  };
  const docsPerKey = args.jsonlKeys.map(() => 0);

  // Results are consumed strictly in submission order; line numbers accumulate per file.
  const queue: { seq: number; result: Promise<BatchResult>; file: InputFile; bytes: number }[] = [];
  const lineBase = new Map<InputFile, number>();
  const consume = async () => {
    const head = queue.shift()!;
    const r = await head.result;
    const base = lineBase.get(head.file) ?? 0;
    lineBase.set(head.file, base + r.lines);
    for (const p of r.problems) {
      totals.malformed++;
      const where = `${head.file.path}:${base + p.line}`;
      if (args.strict)
        throw new StrictError(`${where}: ${p.message} (--strict stops at the first malformed line)`);
      if (totals.malformed <= MAX_PRINTED_PROBLEMS) warn(`${where}: ${p.message}; skipped`);
      else if (totals.malformed === MAX_PRINTED_PROBLEMS + 1)
        warn("further malformed lines are counted, not printed");
    }
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
    totals.textBytes += r.textBytes;
    state.docs += r.records;
    state.bytes += head.bytes;
    pool.release(r.seq);
    progress.update(state);
  };

  try {
    for (const file of files) {
      for await (const batch of fileBatches(file, (n) => {
        state.rawRead += n;
      })) {
        const bytes = batch.bytes.length;
        while (pool.full) await consume(); // backpressure: write the oldest result first
        const { seq, result } = pool.submit(batch.format, batch.bytes);
        queue.push({ seq, result, file, bytes });
        // Write whatever is already finished, in order, without waiting for later batches.
        while (queue.length > 0 && pool.isDone(queue[0]!.seq)) await consume();
      }
    }
    while (queue.length > 0) await consume();
    progress.finish(state);
    outputs.finalize();
  } catch (err) {
    outputs.abort();
    for (const q of queue) q.result.catch(() => {});
    throw err;
  } finally {
    await pool.close();
  }

  return {
    records: state.docs,
    inputBytes: state.bytes,
    textBytes: totals.textBytes,
    seconds: (performance.now() - started) / 1000,
    malformed: totals.malformed,
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

function workerConfig(args: PrepareArgs): WorkerConfig {
  return {
    tokenizerType: args.tokenizerType,
    vocabFile: args.vocabFile,
    mergeFile: args.mergeFile,
    jsonlKeys: args.jsonlKeys,
    appendEod: args.appendEod,
  };
}
