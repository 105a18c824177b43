// Tasks from a user's JSONL file (README.md documents both formats):
// - `mc:PATH`: multiple choice, {"context": str, "choices": [str, ...], "label": int} per line; each
//   choice is scored as the continuation " " + choice (the harness's default target delimiter);
//   metrics acc and acc_norm as for piqa.
// - `gen:PATH`: greedy generation, {"context": str, "target": str, "until"?: [str, ...],
//   "max_gen_toks"?: int} per line; generation stops at the first `until` string (default "\n\n",
//   the harness's default for generate_until) or after max_gen_toks tokens (default 256, the
//   harness's), and exact_match compares the text before the stop string with the target.
import { basename, extname } from "node:path";
import { readJsonl, stringField } from "./read";
import {
  type Doc,
  MULTIPLE_CHOICE_METRICS,
  multipleChoiceDoc,
  type Task,
  TaskDataError,
  text,
} from "./types";

const stem = (path: string) => basename(path, extname(path));

export function multipleChoiceFile(path: string): Task {
  const docs = readJsonl(path, "multiple-choice task").map(({ line, value }): Doc => {
    const context = stringField(path, line, value, "context");
    const choices = value.choices;
    if (!Array.isArray(choices) || choices.length < 2 || choices.some((c) => typeof c !== "string"))
      throw new TaskDataError(`${path}:${line}: "choices" must be an array of at least 2 strings`);
    const label = value.label;
    if (!(typeof label === "number" && Number.isInteger(label) && label >= 0 && label < choices.length))
      throw new TaskDataError(
        `${path}:${line}: "label" must be an integer index into "choices" (0..${choices.length - 1}), got ${JSON.stringify(label)}`,
      );
    return multipleChoiceDoc(context, choices as string[], label);
  });
  return {
    name: `mc:${stem(path)}`,
    version: 0,
    outputType: "multiple_choice",
    metrics: MULTIPLE_CHOICE_METRICS,
    docs,
    source: path,
  };
}

export function generationFile(path: string): Task {
  const docs = readJsonl(path, "generation task").map(({ line, value }): Doc => {
    const context = stringField(path, line, value, "context");
    const target = stringField(path, line, value, "target");
    const until = value.until ?? ["\n\n"];
    if (!Array.isArray(until) || until.some((u) => typeof u !== "string" || u === ""))
      throw new TaskDataError(`${path}:${line}: "until" must be an array of non-empty strings`);
    const maxGenToks = value.max_gen_toks ?? 256;
    if (!(typeof maxGenToks === "number" && Number.isInteger(maxGenToks) && maxGenToks >= 1))
      throw new TaskDataError(`${path}:${line}: "max_gen_toks" must be an integer >= 1`);
    return {
      requests: [{ type: "generate_until", context, until: until as string[], maxGenToks }],
      process: ([r]) => ({ exact_match: text(r) === target ? 1 : 0 }),
    };
  });
  return {
    name: `gen:${stem(path)}`,
    version: 0,
    outputType: "generate_until",
    metrics: { exact_match: { aggregation: "mean", higherIsBetter: true } },
    docs,
    source: path,
  };
}
