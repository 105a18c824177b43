// Running the harness's requests on the inference engine. Loglikelihood requests (plain and the
// windows of rolling ones) are sorted by length, longest first, as HFLM._loglikelihood_tokens
// sorts them (a pass's cost is set by its longest request, and an out-of-memory shows at once), then
// scored `slots` at a time: each request is one segment in its own cache slot, its rows are its
// continuation, and log p(target) is computed natively (InferenceEngine.score). Generation requests
// go through the Scheduler (continuous batching), greedily, stopping on the first stop string.
import { type Engine, GREEDY, Scheduler } from "@neox/models";
import type { ScoreInput } from "./encode";

export interface LoglikelihoodResult {
  /** Sum of log p(target) over the continuation. */
  logprob: number;
  /** Whether every continuation token is its row's argmax (the harness's is_greedy); null unless asked. */
  greedy: boolean | null;
}

export interface RunOptions {
  /** Requests done so far (called after each pass). */
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
  /** Tokens per pass at most (beyond the first request); default slots × maxT. */
  tokenBudget?: number;
  /**
   * Also find is_greedy. It needs each row's whole logits vector on the host (rows × vocabulary
   * floats per pass: gigabytes for rolling windows of a 50k-vocabulary model), so only tasks whose
   * metric reads it (lambada's acc) ask.
   */
  greedy?: boolean;
}

/** Scores every input; results come back in input order. */
export async function runLoglikelihood(
  engine: Engine,
  inputs: readonly ScoreInput[],
  opts: RunOptions = {},
): Promise<LoglikelihoodResult[]> {
  const order = inputs.map((_, i) => i);
  // longest input first (HFLM sorts by -len(context + continuation) before truncation; the order
  // only decides which requests share a pass, never a result), ties in submission order
  order.sort((a, b) => inputs[b]!.tokens.length - inputs[a]!.tokens.length || a - b);
  const out: LoglikelihoodResult[] = new Array(inputs.length);
  const budget = opts.tokenBudget ?? engine.slots * engine.maxT;
  let done = 0;
  let next = 0;
  while (next < order.length) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    const batch: number[] = [];
    let tokens = 0;
    while (next < order.length && batch.length < engine.slots) {
      const n = inputs[order[next]!]!.tokens.length;
      if (batch.length > 0 && tokens + n > budget) break;
      batch.push(order[next++]!);
      tokens += n;
    }
    const segments = batch.map((idx, slot) => {
      const r = inputs[idx]!;
      engine.reset(slot);
      return { slot, tokens: r.tokens, logitsFrom: r.tokens.length - r.targets.length, targets: r.targets };
    });
    const scored = engine.score(segments, { greedy: opts.greedy === true });
    batch.forEach((idx, i) => {
      const n = inputs[idx]!.targets.length;
      let logprob = 0;
      let greedy = true;
      for (let j = 0; j < n; j++) {
        logprob += scored.logprobs[scored.offsets[i]! + j]!;
        if (scored.greedy[scored.offsets[i]! + j] !== 1) greedy = false;
      }
      out[idx] = { logprob, greedy: opts.greedy === true ? greedy : null };
    });
    for (let slot = 0; slot < batch.length; slot++) engine.reset(slot);
    done += batch.length;
    opts.onProgress?.(done);
    // let a signal handler or progress redraw run between passes
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

export interface GenerateInput {
  /** Context tokens, already left-truncated to leave room for maxTokens. */
  tokens: number[];
  until: string[];
  maxTokens: number;
}

/**
 * Greedy generation until a stop string (the harness's generate_until): the scheduler decodes,
 * `decode` turns the tokens so far into text, and the request stops when a stop string appears;
 * the text is cut before it, as the harness cuts its output at the first `until` string.
 */
export async function runGenerate(
  engine: Engine,
  inputs: readonly GenerateInput[],
  decode: (ids: readonly number[]) => string,
  eod: number,
  opts: RunOptions = {},
): Promise<string[]> {
  const scheduler = new Scheduler(engine);
  let done = 0;
  return Promise.all(
    inputs.map(async (g) => {
      const ids: number[] = [];
      const res = await scheduler.submit({
        prompt: g.tokens,
        maxTokens: g.maxTokens,
        sampling: GREEDY,
        eod,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onToken: (t) => {
          ids.push(t.id);
          const text = decode(ids);
          return g.until.some((s) => s !== "" && text.includes(s));
        },
      });
      if (res.finish === "aborted") throw opts.signal?.reason ?? new Error("aborted");
      opts.onProgress?.(++done);
      return cutAtStop(decode(res.tokens), g.until);
    }),
  );
}

/** The text before the first occurrence of any stop string. */
export function cutAtStop(text: string, until: readonly string[]): string {
  let end = text.length;
  for (const s of until) {
    if (s === "") continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
