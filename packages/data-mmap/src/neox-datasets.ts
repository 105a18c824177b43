// The train/valid/test datasets GPT-NeoX's trainer builds from its arguments
// (megatron/data/data_utils.py `build_train_valid_test_data_loaders`, neox-spec §1.4 and §2b-2d):
// one `data_path` divided by `split`, or `*_data_paths` each used whole and blended by `*_data_weights`.
// Takes plain values under GPT-NeoX's key names so this package needs no config library.
import { BlendableDataset, weightedNumSamples, weightsByNumDocs } from "./blendable-dataset";
import { DataRequestError } from "./errors";
import { GPT2Dataset, type SampleSource } from "./gpt2-dataset";
import { availableMemoryBytes, bytes, MAX_TYPED_ARRAY_LENGTH } from "./index-budget";
import { ArrayVector } from "./index-vector";
import { IndexedDataset } from "./indexed-dataset";
import { SPLIT_NAMES, type SplitName, splitBoundaries } from "./split";

/** The GPT-NeoX arguments that decide the datasets (names as in the YAML configs). */
export interface NeoxDataArgs {
  data_path?: string | null;
  split?: string;
  train_data_paths?: readonly string[] | null;
  valid_data_paths?: readonly string[] | null;
  test_data_paths?: readonly string[] | null;
  train_data_weights?: readonly number[] | null;
  valid_data_weights?: readonly number[] | null;
  test_data_weights?: readonly number[] | null;
  weight_by_num_documents?: boolean;
  weighted_sampler_alpha?: number;
  seq_length: number;
  seed: number;
  train_iters?: number | null;
  train_epochs?: number | null;
  /** micro batch × gradient accumulation × data parallel size. */
  train_batch_size: number;
  eval_interval?: number;
  eval_iters?: number;
  pack_impl?: string;
  allow_chopped?: boolean;
  dataset_impl?: string;
}

export interface DatasetComponent {
  prefix: string;
  name: string;
  numSamples: number | null;
  dataset: GPT2Dataset;
}

export interface NeoxDataset {
  which: SplitName;
  /** The requested samples (`train_iters · train_batch_size` for train), null in train_epochs mode. */
  numSamples: number | null;
  /** What the trainer iterates: a GPT2Dataset (data_path) or a BlendableDataset (`*_data_paths`). */
  dataset: SampleSource;
  components: DatasetComponent[];
  /** Normalised blend weights (`*_data_paths` only). */
  weights: number[] | null;
  /** Documents [start, stop) of the split range (data_path only). */
  documents: [number, number] | null;
  close(): void;
}

export interface BuildOptions {
  indexDir?: string | false;
  /**
   * Memory the index builds may hold together, in bytes (a blend's components and its indices count
   * against one budget); default 90% of what the system reports available when the build starts.
   */
  memoryLimitBytes?: number;
  log?: (line: string) => void;
}

/** Requested samples per split, as `build_train_valid_test_data_loaders` computes them. */
export function requestedSamples(a: NeoxDataArgs): [number | null, number | null, number | null] {
  if (!a.train_epochs && !a.train_iters) {
    throw new Error(
      "set train_iters or train_epochs (GPT-NeoX: Must specify either train_epochs or train_iters)",
    );
  }
  if (a.train_iters === null || a.train_iters === undefined) return [null, null, null];
  const evalIters = a.eval_iters ?? 100;
  const evalInterval = a.eval_interval ?? 1000;
  return [
    a.train_iters * a.train_batch_size,
    (Math.floor(a.train_iters / evalInterval) + 1) * evalIters * a.train_batch_size,
    evalIters * a.train_batch_size,
  ];
}

function checkSupported(a: NeoxDataArgs): void {
  if ((a.pack_impl ?? "packed") !== "packed") {
    throw new Error(`pack_impl "${a.pack_impl}" is not supported yet; only "packed" (GPT-NeoX's default)`);
  }
  if ((a.dataset_impl ?? "gpt2") !== "gpt2") {
    throw new Error(`dataset_impl "${a.dataset_impl}" is not supported; only "gpt2"`);
  }
  if (!(a.seq_length > 1)) throw new Error(`seq_length must be > 1, got ${a.seq_length}`);
}

/**
 * Builds one of the trainer's datasets. Returns null when that split is empty (GPT-NeoX then skips it).
 * Index caches are written or reused exactly as GPT-NeoX names them.
 */
export function buildNeoxDataset(
  a: NeoxDataArgs,
  which: SplitName,
  o: BuildOptions = {},
): NeoxDataset | null {
  checkSupported(a);
  const k = SPLIT_NAMES.indexOf(which);
  const numSamples = requestedSamples(a)[k]!;
  const numEpochs = numSamples === null ? 1 : null;
  const paths = a.train_data_paths?.length
    ? [a.train_data_paths, a.valid_data_paths, a.test_data_paths][k]
    : undefined;
  if (a.train_data_paths?.length)
    return paths?.length ? blended(a, which, paths, numSamples, numEpochs, o) : null;
  if (!a.data_path) throw new Error("set data_path, or train_data_paths (with valid_ and test_data_paths)");

  const indexed = IndexedDataset.open(a.data_path);
  const split = a.split ?? "969, 30, 1";
  const b = splitBoundaries(split, indexed.length);
  const documents: [number, number] = [b[k]!, b[k + 1]!];
  if (documents[1] <= documents[0]) {
    indexed.close();
    return null;
  }
  let dataset: GPT2Dataset;
  try {
    dataset = GPT2Dataset.build(indexed, {
      name: which,
      documents,
      numSamples,
      numEpochs,
      seqLength: a.seq_length,
      seed: a.seed,
      indexDir: o.indexDir,
      memoryLimitBytes: o.memoryLimitBytes,
      log: o.log,
    });
  } catch (e) {
    indexed.close();
    throw e;
  }
  return {
    which,
    numSamples,
    dataset,
    components: [{ prefix: indexed.prefix, name: which, numSamples, dataset }],
    weights: null,
    documents,
    close() {
      dataset.close();
      indexed.close();
    },
  };
}

/** Bytes of index arrays a dataset holds in memory (a built index; a reused one reads its files). */
function heldBytes(ds: GPT2Dataset): number {
  let n = 8 * (ds.seqLength + 1);
  for (const v of [ds.docIdx, ds.sampleIdx, ds.shuffleIdx])
    if (v instanceof ArrayVector) n += v.data.byteLength;
  return n;
}

function blended(
  a: NeoxDataArgs,
  which: SplitName,
  paths: readonly string[],
  numSamples: number | null,
  numEpochs: number | null,
  o: BuildOptions,
): NeoxDataset {
  const key = `${which}_data_weights`;
  const given = [a.train_data_weights, a.valid_data_weights, a.test_data_weights][SPLIT_NAMES.indexOf(which)];
  const raw = given ?? paths.map(() => 1.0);
  if (raw.length !== paths.length) {
    throw new DataRequestError(
      key,
      `[${raw.join(", ")}]`,
      `has ${raw.length} entries for ${paths.length} ${which}_data_paths`,
    );
  }
  let w = weightedNumSamples(raw, numSamples, key);
  const alpha = a.weighted_sampler_alpha ?? 1.0;
  if (a.weight_by_num_documents && !(Number.isFinite(alpha) && alpha >= 0)) {
    throw new DataRequestError("weighted_sampler_alpha", alpha, "expected a finite number >= 0");
  }
  // The components and the blend's indices share one memory budget.
  let budget = o.memoryLimitBytes ?? Math.floor(0.9 * availableMemoryBytes());
  const opened: IndexedDataset[] = [];
  const components: DatasetComponent[] = [];
  try {
    for (const p of paths) opened.push(IndexedDataset.open(p));
    // Before weighting by document counts, which divides by them.
    for (const d of opened) {
      if (d.length === 0) {
        throw new DataRequestError(
          "documents",
          "[0, 0)",
          `the dataset ${d.prefix} has no items, so there is nothing to sample`,
        );
      }
    }
    if (a.weight_by_num_documents) {
      // GPT-NeoX first builds the datasets without index maps to count documents, then re-weights.
      w = weightedNumSamples(
        weightsByNumDocs(
          opened.map((d) => d.length),
          alpha,
        ),
        numSamples,
        key,
      );
    }
    opened.forEach((indexed, i) => {
      const name = `${which}_${i}`;
      const dataset = GPT2Dataset.build(indexed, {
        name,
        numSamples: w.numSamples[i]!,
        numEpochs,
        seqLength: a.seq_length,
        seed: a.seed,
        indexDir: o.indexDir,
        memoryLimitBytes: Math.max(0, budget),
        log: o.log,
      });
      components.push({ prefix: indexed.prefix, name, numSamples: w.numSamples[i]!, dataset });
      budget -= heldBytes(dataset);
    });
    const size = components.reduce((t, c) => t + c.dataset.length, 0);
    if (size > MAX_TYPED_ARRAY_LENGTH || 9 * size > budget) {
      throw new DataRequestError(
        "num_samples",
        numSamples ?? "null",
        `the blend of ${size} samples needs ${bytes(9 * size)} for its indices (uint8 + int64 per sample) beside its components, more than the ${bytes(Math.max(0, budget))} left`,
      );
    }
  } catch (e) {
    for (const c of components) c.dataset.close();
    for (const d of opened) d.close();
    throw e;
  }
  const dataset = new BlendableDataset(
    components.map((c) => c.dataset),
    w.weights,
  );
  return {
    which,
    numSamples,
    dataset,
    components,
    weights: w.weights,
    documents: null,
    close() {
      for (const c of components) c.dataset.close();
      for (const d of opened) d.close();
    },
  };
}
