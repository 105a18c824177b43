// generate_until: greedy decoding through the scheduler equals taking the argmax of the model's
// logits one step at a time, and the text stops before the first stop string.
import { InferenceEngine, sequenceLogits } from "@neox/models";
import { afterAll, describe, expect, it } from "vitest";
import { cutAtStop, runGenerate } from "../src/score";
import { tinyModel, tok } from "./tiny-model";

const model = tinyModel();
afterAll(() => model.dispose());

/** Greedy continuation of `ctx` by full recomputation, up to n tokens or the eod token. */
function greedyDirect(ctx: number[], n: number): number[] {
  const seq = [...ctx];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const logits = sequenceLogits(model, seq);
    const V = logits.length / seq.length;
    const last = Array.from(logits.subarray((seq.length - 1) * V));
    const next = last.indexOf(Math.max(...last));
    if (next === tok.eod) break;
    out.push(next);
    seq.push(next);
  }
  return out;
}

describe("runGenerate", () => {
  it("decodes greedily and stops at the first stop string, cutting the text before it", async () => {
    const engine = new InferenceEngine(model, { slots: 2, maxT: 16 });
    try {
      const prompts = [tok.encode("abc"), tok.encode("the"), tok.encode("zq")];
      const direct = prompts.map((p) => tok.decode(greedyDirect(p, 10)));
      // with no stop string that occurs, the whole greedy text comes back
      const plain = await runGenerate(
        engine,
        prompts.map((tokens) => ({ tokens, until: ["\u0000never"], maxTokens: 10 })),
        tok.decode,
        tok.eod,
      );
      expect(plain).toEqual(direct);
      // a stop string taken from inside the first output: the text ends just before it
      const text = direct[0]!;
      expect(text.length).toBeGreaterThan(4);
      const stop = text.slice(3, 5);
      const [cut] = await runGenerate(
        engine,
        [{ tokens: prompts[0]!, until: [stop], maxTokens: 10 }],
        tok.decode,
        0,
      );
      expect(cut).toBe(text.slice(0, text.indexOf(stop)));
    } finally {
      engine.dispose();
    }
  });

  it("cutAtStop cuts at the earliest of several stop strings", () => {
    expect(cutAtStop("one. two\nthree", ["\n", "."])).toBe("one");
    expect(cutAtStop("no stop", ["\n"])).toBe("no stop");
  });
});
