// Expands --input into the files to read and how to read each (lm_dataformat's rules, which GPT-NeoX's
// preprocess_data uses): a directory stands for its files in sorted order (not recursive); the format
// follows from the file name.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * jsonl: one JSON record per line. json-array: a JSON array of records (JSON lines are accepted too).
 * lines: one text document per line. text: the whole file is one document. brown: a tagged Brown
 * Corpus sample (the embedded default), one document.
 */
export type InputFormat = "jsonl" | "json-array" | "lines" | "text" | "brown";
export type Compression = "none" | "zstd" | "gzip";

export interface InputFile {
  path: string;
  format: InputFormat;
  compression: Compression;
  /** Size on disk, for the progress bar's ETA. */
  bytes: number;
}

const RULES: { suffix: string; format: InputFormat; compression: Compression }[] = [
  { suffix: ".jsonl.zst", format: "jsonl", compression: "zstd" },
  { suffix: ".json.zst", format: "json-array", compression: "zstd" },
  { suffix: ".jsonl.gz", format: "jsonl", compression: "gzip" },
  { suffix: ".json.gz", format: "jsonl", compression: "gzip" },
  { suffix: ".jsonl", format: "jsonl", compression: "none" },
  { suffix: ".gz", format: "lines", compression: "gzip" },
  { suffix: ".txt", format: "text", compression: "none" },
];

export function formatOf(path: string): { format: InputFormat; compression: Compression } | undefined {
  const lower = path.toLowerCase();
  const rule = RULES.find((r) => lower.endsWith(r.suffix));
  return rule && { format: rule.format, compression: rule.compression };
}

/** Resolves the comma-separated inputs; `warn` hears about skipped directory entries. */
export function expandInputs(inputs: readonly string[], warn: (msg: string) => void): InputFile[] {
  const files: InputFile[] = [];
  const add = (path: string, fromDir: boolean) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      if (fromDir) warn(`skipping ${path}: directories inside an input directory are not read`);
      return;
    }
    const kind = formatOf(path);
    if (!kind) {
      if (fromDir) {
        warn(`skipping ${path}: unknown format (expected ${RULES.map((r) => r.suffix).join(", ")})`);
        return;
      }
      throw new Error(
        `--input ${path}: unknown format; expected a name ending in ${RULES.map((r) => r.suffix).join(", ")}`,
      );
    }
    files.push({ path, ...kind, bytes: st.size });
  };
  for (const input of inputs) {
    const st = statSync(input, { throwIfNoEntry: false });
    if (!st) throw new Error(`--input ${input}: no such file or directory`);
    if (st.isDirectory()) {
      const names = readdirSync(input).sort();
      const before = files.length;
      for (const name of names) add(join(input, name), true);
      if (files.length === before) warn(`--input ${input}: the directory has no readable files`);
    } else add(input, false);
  }
  return files;
}
