// The harness's aggregations and standard errors, and multiple choice's acc / acc_norm.
import { describe, expect, it } from "vitest";
import {
  aggregate,
  bitsPerByte,
  bootstrapStderr,
  meanStderr,
  perplexity,
  weightedPerplexity,
} from "../src/metrics";
import { multipleChoiceMetrics } from "../src/tasks/types";

describe("multiple choice", () => {
  it("acc takes the highest log-likelihood; acc_norm divides by the choice's length first", () => {
    // raw: -6 > -8 picks the short choice; per character: -6/2 = -3 < -8/8 = -1 picks the long one
    const choices = ["ab", "abcdefgh"];
    expect(multipleChoiceMetrics([-6, -8], choices, 0)).toEqual({ acc: 1, acc_norm: 0 });
    expect(multipleChoiceMetrics([-6, -8], choices, 1)).toEqual({ acc: 0, acc_norm: 1 });
  });

  it("acc_norm counts the choice's characters (Python's len), which for ASCII is its bytes", () => {
    // "abcd" is 4 characters and 4 bytes; "éé" is 2 characters but 4 UTF-8 bytes.
    // per character: -8/4 = -2 > -5/2 = -2.5 -> choice 0; per byte it would be -2 < -1.25 -> choice 1
    expect(multipleChoiceMetrics([-8, -5], ["abcd", "éé"], 0).acc_norm).toBe(1);
    // an astral character counts once (a code point): -3/1 < -4/2 picks "ab"; as two UTF-16 units
    // it would be -3/2 > -4/2 and pick the emoji
    expect(multipleChoiceMetrics([-3, -4], ["😀", "ab"], 1).acc_norm).toBe(1);
  });

  it("ties go to the first choice, as np.argmax", () => {
    expect(multipleChoiceMetrics([-2, -2], ["a", "b"], 0)).toEqual({ acc: 1, acc_norm: 1 });
  });
});

describe("aggregations", () => {
  it("mean_stderr is the sample standard deviation over sqrt(n)", () => {
    // [1, 0, 1, 1]: mean 0.75, squared deviations 3 x 0.0625 + 0.5625 = 0.75, / 3 = 0.25, sd 0.5, / 2
    expect(meanStderr([1, 0, 1, 1])).toBeCloseTo(0.25, 12);
    expect(aggregate("mean", [1, 0, 1, 1])).toBe(0.75);
  });

  it("perplexity is exp of the negative mean log-likelihood", () => {
    expect(perplexity([-1, -3])).toBeCloseTo(Math.exp(2), 12);
  });

  it("word/byte perplexity and bits per byte weight by the counts", () => {
    const items = [
      [-8 * Math.LN2, 4],
      [-4 * Math.LN2, 2],
    ] as const;
    expect(bitsPerByte(items)).toBeCloseTo(2, 12); // 12 bits over 6 bytes
    expect(weightedPerplexity(items)).toBeCloseTo(4, 12); // 2^2
  });

  it("the bootstrap error is 0 for identical items, and near the delta-method value otherwise", () => {
    expect(bootstrapStderr(perplexity, [-2, -2, -2, -2], 200)).toBeLessThan(1e-12);
    const xs = Array.from({ length: 400 }, (_, i) => -1 - (i % 4) * 0.5);
    // delta method: sd(perplexity) ~ perplexity * sd(mean ll)
    const delta = perplexity(xs) * meanStderr(xs);
    const boot = bootstrapStderr(perplexity, xs, 2000);
    expect(boot / delta).toBeGreaterThan(0.85);
    expect(boot / delta).toBeLessThan(1.15);
  });
});
