// The harness's loglikelihood through the batched engine equals a direct computation: the model's
// logits for one sequence at a time (sequenceLogits), log-softmax in float64, summed over the
// continuation rows of the harness's input (context + continuation)[-(L+1):][:-1]. Requests of
// different lengths share passes in different slots, some truncated on the left, so a wrong
// offset, slot or row shows as a wrong number.
import { InferenceEngine, sequenceLogits } from "@neox/models";
import { afterAll, describe, expect, it } from "vitest";
import { encodePair, rollingWindows, scoreInputs } from "../src/encode";
import { evaluateTask } from "../src/evaluate";
import { runLoglikelihood } from "../src/score";
import type { Task } from "../src/tasks/types";
import { L, tinyModel, tok } from "./tiny-model";

const model = tinyModel();
afterAll(() => model.dispose());

/** sum of log p(cont) read directly from one sequence's logits, harness truncation written out. */
function direct(context: number[], continuation: number[]): number {
  const all = [...context, ...continuation];
  const inp = all.slice(-(L + 1)).slice(0, -1);
  const logits = sequenceLogits(model, inp);
  const V = logits.length / inp.length;
  let sum = 0;
  continuation.forEach((target, j) => {
    const row = logits.subarray(
      (inp.length - continuation.length + j) * V,
      (inp.length - continuation.length + j + 1) * V,
    );
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let z = 0;
    for (const x of row) z += Math.exp(x - max);
    sum += row[target]! - max - Math.log(z);
  });
  return sum;
}

describe("loglikelihood on a tiny model", () => {
  const pairs: [string, string][] = [
    ["the cat sat on the", " mat"],
    ["a", " b"],
    ["once upon a time there was a", " king"], // longer than the window: truncated on the left
    ["hello ", "world"], // trailing space moves to the continuation
    ["x", "yz"],
    ["the quick brown fox jumps", " over"],
    ["q", " r s t"],
  ];

  it("equals the direct computation, three requests per pass", async () => {
    const engine = new InferenceEngine(model, { slots: 3, maxT: L });
    try {
      const encoded = pairs.map(([c, x]) => encodePair(tok, c, x));
      const inputs = encoded.flatMap((p) => scoreInputs(p, L));
      expect(inputs.length).toBe(pairs.length); // every continuation fits the window here
      const got = await runLoglikelihood(engine, inputs, { greedy: true });
      for (const [i, p] of encoded.entries()) {
        expect(got[i]!.logprob).toBeCloseTo(direct(p.context, p.continuation), 4);
        expect(got[i]!.logprob).toBeLessThan(0);
      }
      // the harness's is_greedy: every target is its row's argmax; feed a greedy continuation
      const ctx = tok.encode("the cat");
      const logits = sequenceLogits(model, ctx);
      const V = logits.length / ctx.length;
      const last = logits.subarray((ctx.length - 1) * V);
      const best = last.indexOf(Math.max(...last));
      const [g] = await runLoglikelihood(engine, scoreInputs({ context: ctx, continuation: [best] }, L), {
        greedy: true,
      });
      expect(g!.greedy).toBe(true);
      const [n] = await runLoglikelihood(
        engine,
        scoreInputs({ context: ctx, continuation: [best === 1 ? 2 : 1] }, L),
        { greedy: true },
      );
      expect(n!.greedy).toBe(false);
      // without asking, is_greedy is not computed
      const [u] = await runLoglikelihood(engine, scoreInputs({ context: ctx, continuation: [best] }, L));
      expect(u!.greedy).toBeNull();
    } finally {
      engine.dispose();
    }
  });

  it("a rolling document's log-likelihood is the sum over its windows, each computed directly", async () => {
    const engine = new InferenceEngine(model, { slots: 2, maxT: L });
    try {
      const text = "it was the best of times it was the worst of times";
      const task: Task = {
        name: "doc",
        version: 0,
        outputType: "loglikelihood_rolling",
        metrics: { bits_per_byte: { aggregation: "bits_per_byte", higherIsBetter: false } },
        docs: [
          {
            requests: [{ type: "loglikelihood_rolling", text }],
            process: ([r]) => ({ bits_per_byte: ["logprob" in r! ? r.logprob : 0, text.length] as const }),
          },
        ],
        source: "inline",
      };
      const res = await evaluateTask(task, tok, engine, { maxLength: L, bootstrapIters: 10 });
      const windows = rollingWindows(tok.encode(text), tok.eod, L);
      expect(windows.length).toBeGreaterThan(3);
      const ll = windows.reduce((s, w) => s + direct(w.context, w.continuation), 0);
      expect(res.metrics.bits_per_byte).toBeCloseTo(-ll / text.length / Math.LN2, 4);
      expect(res.requests).toBe(windows.length);
    } finally {
      engine.dispose();
    }
  });
});
