// `neox data inspect|samples`: dataset statistics, and the training sample order built exactly as
// GPT-NeoX's trainer builds it (index caches included), fingerprinted so runs can be compared.
import { statSync } from "node:fs";
import { formatProblem, resolveConfig } from "@neox/config";
import {
  BlendableDataset,
  buildNeoxDataset,
  DataFormatError,
  DataRequestError,
  type DatasetStats,
  datasetStats,
  digestSamples,
  GPT2Dataset,
  type IdxValidation,
  IndexedDataset,
  type NeoxDataArgs,
  SPLIT_NAMES,
  type SplitName,
  sha256Int64,
  splitBoundaries,
  tokensPerEpoch,
} from "@neox/data-mmap";
import { intFlag, parseArgv, runSubcommands, UsageError } from "../argv";

const USAGE = `usage: neox data inspect PREFIX [--json]
       neox data samples PREFIX --seq-length N --seed K --num-samples S
                         [--split "969,30,1" --name train|valid|test] [--index-dir D] [--json]
       neox data samples CONFIGS... [--world-size N] [--set key=value ...] [--index-dir D] [--json]

inspect   items, documents, tokens, dtype and a size histogram of PREFIX.bin/.idx, and every problem
          of the index (sizes, pointers against the running sum of sizes and the .bin length,
          doc_idx); exits 1 when there is one.
samples   builds (or reuses) GPT-NeoX's index for a dataset and prints its fingerprint: dataset_len,
          num_epochs, sha256 of doc_idx/sample_idx/shuffle_idx (as little-endian int64),
          samples_sha256 over items 0..S-1 (each seq_length+1 tokens as int64) and first_samples.
          S is the num_samples handed to the index builder (it sets the epoch count and the cache
          name). The dataset is validated, and the index's memory and disk needs checked, before any
          cache is written; a request that does not fit says the largest value that does. Without --split all documents are used (name train). The .npy caches go to D
          (default: beside the data) under GPT-NeoX's names and are reused when valid.
          With CONFIGS: the train dataset the trainer builds (data_path + split, or
          train_data_paths + train_data_weights blended; num_samples = train_iters x train_batch_size).

example:
  pnpm -s neox data inspect data/enwik8/enwik8_text_document --json
  pnpm -s neox data samples data/enwik8/enwik8_text_document --seq-length 2048 --seed 1234 --num-samples 1000 --json
  pnpm -s neox data samples configs/pythia/160M.yml configs/local_setup.yml --world-size 32 --json
`;

export async function runData(argv: string[]): Promise<number> {
  // any other failure (a missing or corrupt dataset, a bad config) is the user's to fix
  return runSubcommands("data", USAGE, argv, { inspect, samples }, (err) => err instanceof Error);
}

function inspect(argv: string[]): number {
  const args = parseArgv(argv, { bools: ["--json"] });
  if (args.positional.length !== 1) throw new UsageError("needs exactly one dataset PREFIX");
  const json = args.bools.has("--json");
  let ds: IndexedDataset;
  try {
    // Header and .idx length only: validate() below lists every problem instead of stopping at one.
    ds = IndexedDataset.open(args.positional[0]!, { verify: "header" });
  } catch (e) {
    if (!(e instanceof DataFormatError)) throw e;
    const prefix = args.positional[0]!.replace(/\.(bin|idx)$/, "");
    return reportInspection(prefix, null, { problems: [e], problemCount: 1, notes: [] }, json);
  }
  try {
    return reportInspection(ds.prefix, datasetStats(ds), ds.validate(), json);
  } finally {
    ds.close();
  }
}

/** Prints the statistics and the validation; exit 1 with a one-line summary on stderr when problems. */
function reportInspection(prefix: string, s: DatasetStats | null, v: IdxValidation, json: boolean): number {
  const problems = v.problems.map((p) => ({
    file: p.file,
    field: p.field,
    offset: p.offset,
    detail: p.detail,
  }));
  if (json) {
    const out = { ...(s ?? { prefix }), problem_count: v.problemCount, problems, notes: v.notes };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const lines = s ? statsLines(s) : [`dataset    ${prefix}`];
    for (const n of v.notes) lines.push(`note: ${n}`);
    if (v.problemCount > 0) {
      lines.push(`problems (${v.problemCount}):`, ...v.problems.map((p) => `  ${p.message}`));
      const cut = v.problemCount - v.problems.length;
      if (cut > 0) lines.push(`  ... and ${cut} more`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (v.problemCount === 0) return 0;
  const more = v.problemCount - 1;
  process.stderr.write(
    `neox data inspect: ${prefix}: ${v.problemCount} problem${more ? "s" : ""}${more ? `; the first: ` : ": "}${v.problems[0]!.message}\n`,
  );
  return 1;
}

function statsLines(s: DatasetStats): string[] {
  return [
    `dataset    ${s.prefix}`,
    `dtype      ${s.dtype}`,
    `documents  ${s.documents}`,
    `items      ${s.items}${s.empty_items ? ` (${s.empty_items} empty)` : ""}`,
    `tokens     ${s.tokens}`,
    `size       min ${s.min_size ?? "-"}, max ${s.max_size ?? "-"}, mean ${s.mean_size === null ? "-" : s.mean_size.toFixed(1)}`,
    `files      ${s.bin_bytes} bytes .bin, ${s.idx_bytes} bytes .idx`,
    "tokens per item:",
    ...s.size_histogram.map(
      (b) => `  ${b.min === 0 ? "0".padStart(17) : `${b.min}..${b.max - 1}`.padStart(17)}  ${b.count}`,
    ),
  ];
}

const SAMPLE_FLAGS = {
  values: ["--seq-length", "--seed", "--num-samples", "--split", "--name", "--index-dir", "--world-size"],
  repeat: ["--set"],
  bools: ["--json"],
} as const;

function isConfigFile(p: string): boolean {
  return /\.(ya?ml|json)$/i.test(p);
}

function samples(argv: string[]): number {
  const args = parseArgv(argv, SAMPLE_FLAGS);
  if (args.positional.length === 0) throw new UsageError("needs a dataset PREFIX or config files");
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const indexDir = args.values.get("--index-dir");
  let report: Record<string, unknown>;
  if (args.positional.every(isConfigFile)) {
    for (const flag of ["--seq-length", "--seed", "--num-samples", "--split", "--name"]) {
      if (args.values.has(flag))
        throw new UsageError(`${flag} comes from the config; use --set to change it`);
    }
    const worldSize = intFlag(args, "--world-size");
    const r = resolveConfig(args.positional, {
      overrides: args.repeated.get("--set") ?? [],
      ...(worldSize !== undefined ? { worldSize } : {}),
    });
    if (r.problems.length > 0) {
      throw new Error(
        `the config has problems:\n${r.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`,
      );
    }
    try {
      report = samplesFromConfig(r.values, r.derived.train_batch_size, indexDir, log);
    } catch (e) {
      throw explain(e, CONFIG_NAMES);
    }
  } else {
    if (args.positional.length !== 1)
      throw new UsageError("needs exactly one dataset PREFIX (or config files)");
    for (const flag of ["--world-size"])
      if (args.values.has(flag)) throw new UsageError(`${flag} is for CONFIGS`);
    if (args.repeated.has("--set")) throw new UsageError("--set is for CONFIGS");
    try {
      report = samplesFromPrefix(args.positional[0]!, args, indexDir, log);
    } catch (e) {
      throw explain(e, FLAG_NAMES);
    }
  }
  if (args.bools.has("--json")) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(humanReport(report));
  return 0;
}

/** How `neox data samples` names the library's parameters, with a PREFIX and with CONFIGS. */
const FLAG_NAMES: Readonly<Record<string, string>> = {
  num_samples: "--num-samples",
  seq_length: "--seq-length",
  seed: "--seed",
};
const CONFIG_NAMES: Readonly<Record<string, string>> = {
  num_samples: "num_samples (train_iters × train_batch_size)",
};

/** A library error as the user's words: a DataRequestError under the flag or key the user wrote. */
function explain(e: unknown, names: Readonly<Record<string, string>>): unknown {
  if (e instanceof DataRequestError) return new Error(`${names[e.param] ?? e.param} ${e.value}: ${e.reason}`);
  if (e instanceof DataFormatError) {
    return new Error(`${e.message}; \`neox data inspect\` lists every problem of a dataset`);
  }
  return e;
}

/**
 * An integer flag written in decimal digits (no sign, fraction, exponent or hex: "1e3" and "0x10" are
 * numbers to Number() but almost always a slip here), at least `min` and exact (below 2^53).
 */
function required(args: ReturnType<typeof parseArgv>, name: string, min: number): number {
  const v = args.values.get(name);
  if (v === undefined) throw new UsageError(`${name} is required with a PREFIX`);
  if (!/^[0-9]+$/.test(v)) {
    throw new UsageError(`${name} expects an integer >= ${min} written in decimal digits, got "${v}"`);
  }
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new UsageError(`${name} ${v} is beyond 2^53, the largest exact integer`);
  if (n < min) throw new UsageError(`${name} expects an integer >= ${min}, got ${v}`);
  return n;
}

function samplesFromPrefix(
  prefix: string,
  args: ReturnType<typeof parseArgv>,
  indexDir: string | undefined,
  log: (line: string) => void,
): Record<string, unknown> {
  const seqLength = required(args, "--seq-length", 2);
  const seed = required(args, "--seed", 0);
  const numSamples = required(args, "--num-samples", 0);
  if (seed > 0xffffffff) {
    throw new UsageError(`--seed ${seed} is beyond 4294967295 (numpy's RandomState takes a 32-bit seed)`);
  }
  const split = args.values.get("--split");
  const name = (args.values.get("--name") ?? "train") as SplitName;
  if (!SPLIT_NAMES.includes(name)) throw new UsageError(`--name must be train, valid or test, got "${name}"`);
  if (split === undefined && args.values.has("--name"))
    throw new UsageError("--name selects a --split range");
  if (indexDir !== undefined && !statSync(indexDir, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`--index-dir ${indexDir}: not a directory (or missing)`);
  const indexed = IndexedDataset.open(prefix);
  try {
    // The full pass over the index before anything is built or cached (GPT2Dataset.build would run it too).
    indexed.checkValid();
    for (const note of indexed.validate().notes) log(`note: ${note}`);
    let documents: [number, number] = [0, indexed.length];
    if (split !== undefined) {
      const b = splitBoundaries(split, indexed.length);
      const k = SPLIT_NAMES.indexOf(name);
      documents = [b[k]!, b[k + 1]!];
      if (documents[1] <= documents[0]) {
        throw new Error(
          `split "${split}" gives ${name} no documents (ranges [${b.join(", ")}] over ${indexed.length})`,
        );
      }
    }
    checkSampleFits(indexed, documents, seqLength);
    const ds = GPT2Dataset.build(indexed, { name, documents, numSamples, seqLength, seed, indexDir, log });
    try {
      return datasetReport(
        ds,
        { prefix: indexed.prefix, name, documents, num_samples: numSamples, seq_length: seqLength, seed },
        numSamples,
        log,
      );
    } finally {
      ds.close();
    }
  } finally {
    indexed.close();
  }
}

/**
 * A --seq-length at least the tokens of the selected documents makes every sample repeat all of them
 * (GPT-NeoX's trainer builds such an index, and `data samples CONFIGS` does too, with a note). Given as a
 * flag it is almost always a slip (10^8 for 10^3), and serving it costs an epoch per document per
 * repetition in doc_idx, so it is refused here, naming the largest value the documents serve.
 */
function checkSampleFits(indexed: IndexedDataset, documents: [number, number], seqLength: number): void {
  const tokens = tokensPerEpoch(indexed.sizes(), documents[0], documents[1]);
  if (tokens >= 2 && seqLength >= tokens) {
    throw new Error(
      `--seq-length ${seqLength}: documents [${documents[0]}, ${documents[1]}) of ${indexed.prefix} hold ${tokens} tokens, fewer than one sample of seq_length + 1, so every sample would repeat them all; the largest --seq-length they serve is ${tokens - 1}`,
    );
  }
}

/** The report keys of one GPT2Dataset; `head` carries the parameters it was built from. */
export function datasetReport(
  ds: GPT2Dataset,
  head: Record<string, unknown>,
  count: number,
  log: (line: string) => void = () => {},
): Record<string, unknown> {
  const d = digestSamples(ds, count);
  if (d.first_samples_note) log(`note: ${d.first_samples_note}`);
  return {
    ...head,
    dataset_len: d.dataset_len,
    num_epochs: ds.numEpochs,
    tokens_per_epoch: ds.index.tokensPerEpoch,
    doc_idx_sha256: sha256Int64(ds.docIdx),
    sample_idx_sha256: sha256Int64(ds.sampleIdx),
    shuffle_idx_sha256: sha256Int64(ds.shuffleIdx),
    samples_sha256: d.samples_sha256,
    first_samples: d.first_samples,
    index_files: ds.index.files
      ? {
          doc_idx: ds.index.files.docIdx,
          sample_idx: ds.index.files.sampleIdx,
          shuffle_idx: ds.index.files.shuffleIdx,
        }
      : null,
    index_reused: !ds.index.built,
  };
}

function humanReport(r: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (k === "first_samples" || k === "components") continue;
    lines.push(`${k.padEnd(28)} ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`);
  }
  const first = (r.first_samples as number[][] | undefined) ?? [];
  lines.push(`first ${first.length} samples (first 8 tokens):`);
  first.forEach((s, i) => {
    lines.push(`  ${String(i).padStart(3)}  ${s.slice(0, 8).join(" ")}${s.length > 8 ? " ..." : ""}`);
  });
  lines.push("(--json prints every key, including the components of a blend)");
  return `${lines.join("\n")}\n`;
}

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number, or a string written as a decimal number (not "", "0x10" or "nan", which Number() accepts). */
function asNumber(v: unknown, key: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && DECIMAL.test(v)) return Number(v);
  throw new Error(`${key} must be a number, got ${JSON.stringify(v) ?? String(v)}`);
}

function optNumber(v: unknown, key: string): number | null {
  if (v === null || v === undefined) return null;
  const n = asNumber(v, key);
  if (!Number.isFinite(n)) throw new Error(`${key} must be a finite number, got ${n}`);
  return n;
}

function optList<T>(v: unknown, key: string, map: (x: unknown, at: string) => T): T[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw new Error(`${key} must be a list, got ${JSON.stringify(v)}`);
  return v.map((x, i) => map(x, `${key}[${i}]`));
}

/** The config's values under GPT-NeoX's names, as the data builder takes them. */
function dataArgs(values: Readonly<Record<string, unknown>>, trainBatchSize: number | null): NeoxDataArgs {
  const seqLength = optNumber(values.seq_length, "seq_length");
  const seed = optNumber(values.seed, "seed");
  if (seqLength === null) throw new Error("the config sets no seq_length");
  if (seed === null) throw new Error("the config sets no seed");
  if (trainBatchSize === null) {
    throw new Error(
      "train_batch_size is unknown: set it, or micro batch and gradient accumulation (and --world-size)",
    );
  }
  for (const key of ["train_label_data_paths", "train_reward_data_paths", "pos_train_data_paths"]) {
    if (Array.isArray(values[key]) && (values[key] as unknown[]).length > 0) {
      throw new Error(`${key} is not supported by neox data samples yet`);
    }
  }
  const str = (x: unknown) => String(x);
  // Any number passes here (NaN and negatives included): the blend refuses them naming the entry.
  const num = (x: unknown, at: string) => asNumber(x, at);
  return {
    data_path: typeof values.data_path === "string" ? values.data_path : null,
    split: typeof values.split === "string" ? values.split : undefined,
    train_data_paths: optList(values.train_data_paths, "train_data_paths", str),
    valid_data_paths: optList(values.valid_data_paths, "valid_data_paths", str),
    test_data_paths: optList(values.test_data_paths, "test_data_paths", str),
    train_data_weights: optList(values.train_data_weights, "train_data_weights", num),
    valid_data_weights: optList(values.valid_data_weights, "valid_data_weights", num),
    test_data_weights: optList(values.test_data_weights, "test_data_weights", num),
    weight_by_num_documents: values.weight_by_num_documents === true,
    weighted_sampler_alpha: optNumber(values.weighted_sampler_alpha, "weighted_sampler_alpha") ?? 1.0,
    seq_length: seqLength,
    seed,
    train_iters: optNumber(values.train_iters, "train_iters"),
    train_epochs: optNumber(values.train_epochs, "train_epochs"),
    train_batch_size: trainBatchSize,
    eval_interval: optNumber(values.eval_interval, "eval_interval") ?? 1000,
    eval_iters: optNumber(values.eval_iters, "eval_iters") ?? 100,
    pack_impl: typeof values.pack_impl === "string" ? values.pack_impl : "packed",
    allow_chopped: values.allow_chopped !== false,
    dataset_impl: typeof values.dataset_impl === "string" ? values.dataset_impl : "gpt2",
  };
}

function samplesFromConfig(
  values: Readonly<Record<string, unknown>>,
  trainBatchSize: number | null,
  indexDir: string | undefined,
  log: (line: string) => void,
): Record<string, unknown> {
  const a = dataArgs(values, trainBatchSize);
  const built = buildNeoxDataset(a, "train", { indexDir, log });
  if (!built) throw new Error(`split "${a.split}" leaves the train range empty`);
  try {
    // In train_epochs mode GPT-NeoX walks the whole dataset once.
    const count = built.numSamples ?? built.dataset.length;
    const head = { num_samples: built.numSamples, seq_length: a.seq_length, seed: a.seed };
    if (!(built.dataset instanceof BlendableDataset)) {
      const c = built.components[0]!;
      return datasetReport(
        c.dataset,
        { prefix: c.prefix, name: c.name, documents: built.documents, ...head },
        count,
        log,
      );
    }
    const blend = built.dataset;
    const d = digestSamples(blend, count);
    if (d.first_samples_note) log(`note: ${d.first_samples_note}`);
    return {
      ...head,
      weights: built.weights,
      dataset_len: d.dataset_len,
      dataset_index_sha256: sha256Int64(Float64Array.from(blend.indices.datasetIndex)),
      dataset_sample_index_sha256: sha256Int64(blend.indices.datasetSampleIndex),
      samples_sha256: d.samples_sha256,
      first_samples: d.first_samples,
      components: built.components.map((c) => ({
        prefix: c.prefix,
        name: c.name,
        num_samples: c.numSamples,
        dataset_len: c.dataset.length,
        num_epochs: c.dataset.numEpochs,
        tokens_per_epoch: c.dataset.index.tokensPerEpoch,
        doc_idx_sha256: sha256Int64(c.dataset.docIdx),
        sample_idx_sha256: sha256Int64(c.dataset.sampleIdx),
        shuffle_idx_sha256: sha256Int64(c.dataset.shuffleIdx),
        index_files: c.dataset.index.files ? Object.values(c.dataset.index.files) : null,
        index_reused: !c.dataset.index.built,
      })),
    };
  } finally {
    built.close();
  }
}
