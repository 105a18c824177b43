// The results document, shaped as lm-evaluation-harness's `evaluator.simple_evaluate` returns it
// (`results` keyed by task then metric with `<metric>_stderr` beside each metric the harness gives
// an error for, `versions`, `n-shot`, `config`), and written where GPT-NeoX's eval.py writes it:
// `eval_results_<%m-%d-%Y-%H-%M-%S>.json`, prefixed with `<eval_results_prefix>_` when the prefix is
// set, in local time. Written to a temporary file and renamed, so a reader never sees half of it.
import { renameSync, writeFileSync } from "node:fs";
import type { TaskResult } from "./evaluate";

export interface ResultsConfig {
  model: string;
  model_args: Record<string, unknown>;
  batch_size: number;
  limit: number | null;
  bootstrap_iters: number;
  eval_data_dir: string | null;
}

export interface ResultsDocument {
  results: Record<string, Record<string, number | string | null>>;
  versions: Record<string, number>;
  "n-shot": Record<string, number>;
  "n-samples": Record<string, { original: number; effective: number }>;
  config: ResultsConfig;
  /** Seconds the whole evaluation took (model loading excluded). */
  total_evaluation_time_seconds: number;
}

export function resultsDocument(
  tasks: readonly { result: TaskResult; original: number }[],
  config: ResultsConfig,
  seconds: number,
): ResultsDocument {
  const doc: ResultsDocument = {
    results: {},
    versions: {},
    "n-shot": {},
    "n-samples": {},
    config,
    total_evaluation_time_seconds: seconds,
  };
  for (const { result: r, original } of tasks) {
    // NaN (a standard error of one document) is not JSON; the harness writes "N/A"
    const metrics: Record<string, number | string | null> = {};
    for (const [k, v] of Object.entries(r.metrics)) metrics[k] = Number.isFinite(v) ? v : "N/A";
    doc.results[r.name] = { alias: r.name, ...metrics };
    doc.versions[r.name] = r.version;
    doc["n-shot"][r.name] = 0;
    doc["n-samples"][r.name] = { original, effective: r.docs };
  }
  return doc;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** datetime.now().strftime("%m-%d-%Y-%H-%M-%S"). */
export function timestamp(d: Date): string {
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${d.getFullYear()}-${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
}

/** eval.py's results path: `eval_results_<time>.json`, with `<prefix>_` in front for a non-empty prefix. */
export function resultsPath(prefix: string, d: Date): string {
  const name = `eval_results_${timestamp(d)}.json`;
  return prefix ? `${prefix}_${name}` : name;
}

export function writeResults(path: string, doc: ResultsDocument): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, path);
}

/** The harness's make_table, as Markdown: one row per task metric with its standard error. */
export function resultsTable(doc: ResultsDocument): string {
  const rows = ["|Tasks|Version|n-shot|Metric|Value| |Stderr|", "|---|---:|---:|---|---:|---|---:|"];
  for (const [task, metrics] of Object.entries(doc.results)) {
    let first = true;
    for (const [m, v] of Object.entries(metrics)) {
      if (m === "alias" || m.endsWith("_stderr")) continue;
      const se = metrics[`${m}_stderr`];
      const fmt = (x: unknown) => (typeof x === "number" ? x.toFixed(4) : String(x ?? ""));
      rows.push(
        `|${first ? task : ""}|${first ? doc.versions[task] : ""}|${first ? 0 : ""}|${m}|${fmt(v)}|${se === undefined ? "" : "±"}|${se === undefined ? "" : fmt(se)}|`,
      );
      first = false;
    }
  }
  return `${rows.join("\n")}\n`;
}
