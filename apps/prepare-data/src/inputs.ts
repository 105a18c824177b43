// Expands --input into the files to read and how to read each (lm_dataformat's rules, which GPT-NeoX's
// preprocess_data uses): a directory stands for its files in sorted order (not recursive); the format
// follows from the file name.

import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

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

export interface ExpandOptions {
  /** Hears about skipped directory entries and inputs given twice. */
  warn: (msg: string) => void;
  /** A directory with no readable files is only a warning (else an error). */
  allowEmpty: boolean;
}

const SUFFIXES = RULES.map((r) => r.suffix).join(", ");
/** Skipped directory entries named one by one; the rest of a directory's are counted in one line. */
const MAX_SKIP_NOTES = 5;

/** Resolves the comma-separated inputs into the files to read, in order. */
export function expandInputs(inputs: readonly string[], opts: ExpandOptions): InputFile[] {
  const { warn } = opts;
  const files: InputFile[] = [];
  const seen = new Map<string, string>(); // resolved path -> how it was named
  let skipped = 0; // in the current directory: the first few are named, the rest counted
  const skip = (msg: string) => {
    if (skipped++ < MAX_SKIP_NOTES) warn(msg);
  };
  const add = (path: string, via: string | undefined) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      if (via) skip(`skipping ${path}: directories inside an input directory are not read`);
      return false;
    }
    const kind = formatOf(path);
    if (!kind) {
      if (via) {
        skip(`skipping ${path}: unknown format (expected ${SUFFIXES})`);
        return false;
      }
      throw new Error(`--input ${path}: unknown format; expected a name ending in ${SUFFIXES}`);
    }
    const real = resolve(path);
    const before = seen.get(real);
    if (before !== undefined)
      warn(
        `--input names ${path} again${via ? ` (in ${via})` : ""}; its documents are written once per mention`,
      );
    else seen.set(real, path);
    files.push({ path, ...kind, bytes: st.size });
    return true;
  };
  for (const input of inputs) {
    const st = statSync(input, { throwIfNoEntry: false });
    if (!st) throw new Error(`--input ${input}: no such file or directory`);
    if (!st.isDirectory()) {
      add(input, undefined);
      continue;
    }
    const names = readdirSync(input).sort();
    let added = 0;
    skipped = 0;
    for (const name of names) if (add(join(input, name), input)) added++;
    if (skipped > MAX_SKIP_NOTES) warn(`skipping ${skipped - MAX_SKIP_NOTES} more entries of ${input}`);
    if (added > 0) continue;
    const found =
      names.length === 0
        ? "it is empty"
        : `it holds ${names.slice(0, 3).join(", ")}${names.length > 3 ? ` and ${names.length - 3} more` : ""}`;
    const msg = `--input ${input}: the directory has no files to read (${found}; expected names ending in ${SUFFIXES})`;
    if (!opts.allowEmpty) throw new Error(`${msg}; --allow-empty accepts that`);
    warn(msg);
  }
  return files;
}
