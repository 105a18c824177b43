// Task names to tasks. Built-in tasks read fixed files under the data directory (laid out as
// `lambada_openai/lambada_test.jsonl`, `piqa/valid.jsonl` + `piqa/valid-labels.lst`,
// `wikitext/wiki.test.raw`); `mc:PATH` and `gen:PATH` read the user's JSONL file.

import { generationFile, multipleChoiceFile } from "./jsonl";
import { lambadaOpenai } from "./lambada";
import { piqa } from "./piqa";
import { type Task, TaskDataError } from "./types";
import { wikitext } from "./wikitext";

export const BUILTIN_TASKS: Record<string, (dataDir: string) => Task> = {
  lambada_openai: lambadaOpenai,
  piqa,
  wikitext,
};

export const DATA_DIR_ENV = "NEOX_EVAL_DATA_DIR";

export function loadTask(name: string, dataDir: string | undefined): Task {
  if (name.startsWith("mc:")) return multipleChoiceFile(name.slice(3));
  if (name.startsWith("gen:")) return generationFile(name.slice(4));
  const make = BUILTIN_TASKS[name];
  if (!make)
    throw new TaskDataError(
      `unknown task "${name}": built-in tasks are ${Object.keys(BUILTIN_TASKS).join(", ")}; a JSONL file is mc:PATH (multiple choice) or gen:PATH (generation)`,
    );
  if (dataDir === undefined)
    throw new TaskDataError(
      `task ${name} reads local files: give --eval-data-dir DIR or set ${DATA_DIR_ENV}=DIR (DIR holds lambada_openai/, piqa/, wikitext/; nothing is downloaded)`,
    );
  return make(dataDir);
}
