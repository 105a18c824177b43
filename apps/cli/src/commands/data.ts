// `neox data inspect|samples`: dataset statistics, and the training sample order built exactly as
// GPT-NeoX's trainer builds it (index caches included), fingerprinted so runs can be compared.
import { existsSync } from "node:fs";
import { formatProblem, resolveConfig } from "@neox/config";
import {
  BlendableDataset,
  buildNeoxDataset,
  datasetStats,
  digestSamples,
  GPT2Dataset,
  IndexedDataset,
  type NeoxDataArgs,
  SPLIT_NAMES,
  type SplitName,
  sha256Int64,
  splitBoundaries,
} from "@neox/data-mmap";
import { intFlag, parseArgv, runSubcommands, UsageError } from "../argv";

const USAGE = `usage: neox data inspect PREFIX [--json]
       neox data samples PREFIX --seq-length N --seed K --num-samples S
                         [--split "969,30,1" --name train|valid|test] [--index-dir D] [--json]
       neox data samples CONFIGS... [--world-size N] [--set key=value ...] [--index-dir D] [--json]

inspect   items, documents, tokens, dtype and a size histogram of PREFIX.bin/.idx.
samples   builds (or reuses) GPT-NeoX's index for a dataset and prints its fingerprint: dataset_len,
          num_epochs, sha256 of doc_idx/sample_idx/shuffle_idx (as little-endian int64),
          samples_sha256 over items 0..S-1 (each seq_length+1 tokens as int64) and first_samples.
          S is the num_samples handed to the index builder (it sets the epoch count and the cache
          name). Without --split all documents are used (name train). The .npy caches go to D
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
  const ds = IndexedDataset.open(args.positional[0]!);
  try {
    const s = datasetStats(ds);
    if (args.bools.has("--json")) {
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    const lines = [
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
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } finally {
    ds.close();
  }
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
    report = samplesFromConfig(r.values, r.derived.train_batch_size, indexDir, log);
  } else {
    if (args.positional.length !== 1)
      throw new UsageError("needs exactly one dataset PREFIX (or config files)");
    for (const flag of ["--world-size"])
      if (args.values.has(flag)) throw new UsageError(`${flag} is for CONFIGS`);
    if (args.repeated.has("--set")) throw new UsageError("--set is for CONFIGS");
    report = samplesFromPrefix(args.positional[0]!, args, indexDir, log);
  }
  if (args.bools.has("--json")) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(humanReport(report));
  return 0;
}

function required(args: ReturnType<typeof parseArgv>, name: string, min: number): number {
  const v = args.values.get(name);
  if (v === undefined) throw new UsageError(`${name} is required with a PREFIX`);
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${name} expects an integer >= ${min}, got "${v}"`);
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
  if (seed > 0xffffffff) throw new UsageError("--seed must be below 2**32 (numpy RandomState)");
  const split = args.values.get("--split");
  const name = (args.values.get("--name") ?? "train") as SplitName;
  if (!SPLIT_NAMES.includes(name)) throw new UsageError(`--name must be train, valid or test, got "${name}"`);
  if (split === undefined && args.values.has("--name"))
    throw new UsageError("--name selects a --split range");
  if (indexDir !== undefined && !existsSync(indexDir))
    throw new Error(`--index-dir ${indexDir}: no such directory`);
  const indexed = IndexedDataset.open(prefix);
  try {
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
    const ds = GPT2Dataset.build(indexed, { name, documents, numSamples, seqLength, seed, indexDir, log });
    try {
      return datasetReport(
        ds,
        { prefix: indexed.prefix, name, documents, num_samples: numSamples, seq_length: seqLength, seed },
        numSamples,
      );
    } finally {
      ds.close();
    }
  } finally {
    indexed.close();
  }
}

/** The report keys of one GPT2Dataset; `head` carries the parameters it was built from. */
export function datasetReport(
  ds: GPT2Dataset,
  head: Record<string, unknown>,
  count: number,
): Record<string, unknown> {
  const d = digestSamples(ds, count);
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

function optNumber(v: unknown, key: string): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n))
    throw new Error(`${key} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

function optList<T>(v: unknown, key: string, map: (x: unknown) => T): T[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw new Error(`${key} must be a list, got ${JSON.stringify(v)}`);
  return v.map(map);
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
  const num = (x: unknown) => optNumber(x, "data weight") ?? 1.0;
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
      );
    }
    const blend = built.dataset;
    const d = digestSamples(blend, count);
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
