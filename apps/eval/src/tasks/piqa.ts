// piqa (harness task version 1.0): PIQA's validation split, {goal, sol1, sol2} per line of
// valid.jsonl with the gold index on the same line of valid-labels.lst. The harness's prompt is
// "Question: {goal}\nAnswer:" with choices [sol1, sol2] after its default target delimiter " ".
import { join } from "node:path";
import { readJsonl, readText, stringField } from "./read";
import { MULTIPLE_CHOICE_METRICS, multipleChoiceDoc, type Task, TaskDataError } from "./types";

export const PIQA_FILES = [join("piqa", "valid.jsonl"), join("piqa", "valid-labels.lst")] as const;

export function piqa(dataDir: string): Task {
  const path = join(dataDir, PIQA_FILES[0]);
  const labelsPath = join(dataDir, PIQA_FILES[1]);
  const rows = readJsonl(path, "piqa");
  const labels = readText(labelsPath, "piqa labels")
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (labels.length !== rows.length)
    throw new TaskDataError(`${labelsPath}: ${labels.length} labels for ${rows.length} questions in ${path}`);
  const docs = rows.map(({ line, value }, i) => {
    const label = labels[i]!;
    if (label !== "0" && label !== "1")
      throw new TaskDataError(`${labelsPath}:${i + 1}: expected 0 or 1, got "${label}"`);
    const goal = stringField(path, line, value, "goal");
    const choices = [stringField(path, line, value, "sol1"), stringField(path, line, value, "sol2")];
    return multipleChoiceDoc(`Question: ${goal}\nAnswer:`, choices, Number(label));
  });
  return {
    name: "piqa",
    version: 1.0,
    outputType: "multiple_choice",
    metrics: MULTIPLE_CHOICE_METRICS,
    docs,
    source: path,
  };
}
