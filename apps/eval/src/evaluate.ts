// The harness's evaluator loop for one task: build every document's requests, run them (all the
// task's loglikelihood rows in shared passes, rolling requests as their windows, generation through
// the scheduler), hand each document its results (process_results), then aggregate each metric and
// add the standard error the harness reports for it.
import type { Engine } from "@neox/models";
import {
  EncodeError,
  type Encoder,
  encodePair,
  rollingWindows,
  type ScoreInput,
  scoreInputs,
} from "./encode";
import { aggregate, type Item, stderrFor } from "./metrics";
import { type GenerateInput, runGenerate, runLoglikelihood } from "./score";
import type { RequestResult, Task } from "./tasks/types";

export interface EvalTokenizer extends Encoder {
  decode(ids: readonly number[]): string;
}

export interface EvalOptions {
  /** The context window: seq_length. */
  maxLength: number;
  bootstrapIters: number;
  /** Requests done / total of this task, after each pass. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface TaskResult {
  name: string;
  version: number;
  /** Metric values, then `<metric>_stderr` where the harness reports one. */
  metrics: Record<string, number>;
  docs: number;
  requests: number;
  seconds: number;
}

export async function evaluateTask(
  task: Task,
  tok: EvalTokenizer,
  engine: Engine,
  opts: EvalOptions,
): Promise<TaskResult> {
  const t0 = performance.now();
  const inputs: ScoreInput[] = [];
  const gens: GenerateInput[] = [];
  // per request: the score inputs (windows) it sums, or the generation it is
  const plan: ({ kind: "ll"; from: number; to: number } | { kind: "gen"; at: number })[][] = [];
  for (const [d, doc] of task.docs.entries()) {
    plan.push(
      doc.requests.map((req) => {
        try {
          if (req.type === "loglikelihood") {
            const from = inputs.length;
            inputs.push(...scoreInputs(encodePair(tok, req.context, req.continuation), opts.maxLength));
            return { kind: "ll", from, to: inputs.length };
          }
          if (req.type === "loglikelihood_rolling") {
            const from = inputs.length;
            for (const w of rollingWindows(tok.encode(req.text), tok.eod, opts.maxLength))
              inputs.push(...scoreInputs(w, opts.maxLength));
            return { kind: "ll", from, to: inputs.length };
          }
          // HFLM.generate_until: the context keeps its last max_length - max_gen_toks tokens
          const room = opts.maxLength - req.maxGenToks;
          if (room < 1)
            throw new EncodeError(
              `max_gen_toks ${req.maxGenToks} leaves no room for a context in the ${opts.maxLength}-token window`,
            );
          const ctx = tok.encode(req.context);
          gens.push({
            tokens: ctx.slice(Math.max(0, ctx.length - room)),
            until: req.until,
            maxTokens: req.maxGenToks,
          });
          return { kind: "gen", at: gens.length - 1 };
        } catch (err) {
          if (err instanceof EncodeError) throw new EncodeError(`${task.name} document ${d}: ${err.message}`);
          throw err;
        }
      }),
    );
  }
  const total = inputs.length + gens.length;
  const run = { ...(opts.signal ? { signal: opts.signal } : {}) };
  const scored = await runLoglikelihood(engine, inputs, {
    ...run,
    greedy: task.needsGreedy === true,
    onProgress: (n) => opts.onProgress?.(n, total),
  });
  const texts = await runGenerate(engine, gens, (ids) => tok.decode(ids), tok.eod, {
    ...run,
    onProgress: (n) => opts.onProgress?.(inputs.length + n, total),
  });

  const items: Record<string, Item[]> = {};
  for (const m of Object.keys(task.metrics)) items[m] = [];
  task.docs.forEach((doc, d) => {
    const results: RequestResult[] = plan[d]!.map((p) => {
      if (p.kind === "gen") return { text: texts[p.at]! };
      let logprob = 0;
      let greedy: boolean | null = true;
      for (let i = p.from; i < p.to; i++) {
        logprob += scored[i]!.logprob;
        const g = scored[i]!.greedy;
        greedy = greedy === null || g === null ? null : greedy && g;
      }
      return { logprob, greedy };
    });
    for (const [m, v] of Object.entries(doc.process(results))) items[m]?.push(v);
  });

  const metrics: Record<string, number> = {};
  for (const [m, spec] of Object.entries(task.metrics)) {
    metrics[m] = aggregate(spec.aggregation, items[m]!);
    const se = stderrFor(spec.aggregation, items[m]!, opts.bootstrapIters);
    if (se !== null) metrics[`${m}_stderr`] = se;
  }
  return {
    name: task.name,
    version: task.version,
    metrics,
    docs: task.docs.length,
    requests: total,
    seconds: (performance.now() - t0) / 1000,
  };
}
