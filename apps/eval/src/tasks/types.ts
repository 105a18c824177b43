// A task as lm-evaluation-harness 0.4 runs one: documents, each making requests of one output type,
// and a process_results that turns the requests' results into per-document metric items, which the
// task's aggregations reduce to its metrics.
import type { Aggregation, Item } from "../metrics";

export type Request =
  | { type: "loglikelihood"; context: string; continuation: string }
  | { type: "loglikelihood_rolling"; text: string }
  | { type: "generate_until"; context: string; until: string[]; maxGenToks: number };

/** greedy (the harness's is_greedy) is null unless the task sets needsGreedy. */
export type RequestResult = { logprob: number; greedy: boolean | null } | { text: string };

export interface Doc {
  requests: Request[];
  process(results: readonly RequestResult[]): Record<string, Item>;
}

export interface MetricSpec {
  aggregation: Aggregation;
  higherIsBetter: boolean;
}

export interface Task {
  /** The key in the results (`lambada_openai`, `mc:<file stem>`, ...). */
  name: string;
  version: number;
  outputType: "loglikelihood" | "multiple_choice" | "loglikelihood_rolling" | "generate_until";
  metrics: Record<string, MetricSpec>;
  /** Every document of the split, in file order (`--limit` takes the first N). */
  docs: Doc[];
  /** Where the documents came from. */
  source: string;
  /** Whether a metric reads is_greedy (costly to find: see score.ts). */
  needsGreedy?: boolean;
}

export class TaskDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskDataError";
  }
}

/** Result of a loglikelihood request (throws if a task's request/result pairing is broken). */
export function ll(r: RequestResult | undefined): { logprob: number; greedy: boolean | null } {
  if (!r || !("logprob" in r))
    throw new Error("internal: a loglikelihood request has no loglikelihood result");
  return r;
}

export function text(r: RequestResult | undefined): string {
  if (!r || !("text" in r)) throw new Error("internal: a generate_until request has no text result");
  return r.text;
}

/** The metrics of every multiple-choice task (multipleChoiceDoc's). */
export const MULTIPLE_CHOICE_METRICS: Record<string, MetricSpec> = {
  acc: { aggregation: "mean", higherIsBetter: true },
  acc_norm: { aggregation: "mean", higherIsBetter: true },
};

/** A multiple-choice document: one loglikelihood request per choice, acc and acc_norm. */
export function multipleChoiceDoc(
  context: string,
  choices: readonly string[],
  gold: number,
  delimiter = " ",
): Doc {
  return {
    requests: choices.map((c) => ({ type: "loglikelihood", context, continuation: `${delimiter}${c}` })),
    process: (results) => {
      const lls = results.map((r) => ll(r).logprob);
      return multipleChoiceMetrics(lls, choices, gold);
    },
  };
}

/**
 * ConfigurableTask.process_results for multiple_choice: acc is argmax(lls) == gold; acc_norm divides
 * each log-likelihood by the length of the choice string (Python's len: characters, i.e. code
 * points, of the choice without its target delimiter), as `completion_len` does in the harness;
 * for ASCII text that is its byte length. np.argmax keeps the first of equal values.
 */
export function multipleChoiceMetrics(
  lls: readonly number[],
  choices: readonly string[],
  gold: number,
): { acc: number; acc_norm: number } {
  const argmax = (xs: readonly number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);
  const norm = lls.map((l, i) => l / [...choices[i]!].length);
  return { acc: argmax(lls) === gold ? 1 : 0, acc_norm: argmax(norm) === gold ? 1 : 0 };
}
