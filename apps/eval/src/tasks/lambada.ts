// lambada_openai (harness task version 1.0): OpenAI's detokenized LAMBADA test set, one {"text"}
// per line. The context is every word but the last (split on single spaces, as the task's
// `text.split(' ')[:-1]|join(' ')`), the target " " + the last word; a loglikelihood request whose
// log-likelihood gives `perplexity` (exp of the negative mean) and whose is_greedy gives `acc`.
import { join } from "node:path";
import { readJsonl, stringField } from "./read";
import { type Doc, ll, type Task } from "./types";

export const LAMBADA_FILE = join("lambada_openai", "lambada_test.jsonl");

export function lambadaOpenai(dataDir: string): Task {
  const path = join(dataDir, LAMBADA_FILE);
  const docs = readJsonl(path, "lambada_openai").map(({ line, value }): Doc => {
    const words = stringField(path, line, value, "text").split(" ");
    const context = words.slice(0, -1).join(" ");
    const continuation = ` ${words[words.length - 1]}`;
    return {
      requests: [{ type: "loglikelihood" as const, context, continuation }],
      process: ([r]) => {
        const { logprob, greedy } = ll(r);
        if (greedy === null) throw new Error("internal: lambada_openai's acc needs is_greedy");
        return { perplexity: logprob, acc: greedy ? 1 : 0 };
      },
    };
  });
  return {
    name: "lambada_openai",
    version: 1.0,
    outputType: "loglikelihood",
    metrics: {
      perplexity: { aggregation: "perplexity", higherIsBetter: false },
      acc: { aggregation: "mean", higherIsBetter: true },
    },
    docs,
    source: path,
    needsGreedy: true,
  };
}
