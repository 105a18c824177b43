// What a GPT2Dataset index will cost, worked out from the request before anything is allocated or
// written, and the request refused (DataRequestError naming the parameter, the value, the largest value
// that fits and why) when this input or this machine cannot serve it:
//   - parameters that are not what GPT-NeoX takes (NaN, fractions, negatives, seeds beyond 32 bits);
//   - documents without tokens;
//   - num_samples × seq_length beyond 2^53, where the epoch arithmetic stops being exact (and the epoch
//     search in numEpochsFor would no longer terminate);
//   - arrays longer than a typed array can be (2^32 elements);
//   - memory: doc_idx (4 B per document per epoch) and shuffle_idx (4 or 8 B per sample) are shuffled in
//     memory and stay there; sample_idx is streamed in 1M-row chunks to its .npy (held whole only for an
//     in-memory build); two sample buffers of seq_length + 1 tokens. The limit is 90% of the memory the
//     system reports available (MemAvailable, or the cgroup limit when lower) unless the caller sets one;
//   - disk: the three .npy caches must fit the free space of their directory.

import { statfsSync } from "node:fs";
import { freemem } from "node:os";
import { DataRequestError } from "./errors";
import { numEpochsFor, sampleIdxDescr, shuffleIdxDescr, tokensPerEpoch, totalSamples } from "./gpt2-index";
import { NPY_ITEM_BYTES, type NpyDescr } from "./npy";

/** The most elements a typed array holds in V8 (Node 20): the doc_idx and shuffle_idx arrays are typed arrays. */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;
const SAMPLE_IDX_CHUNK_ROWS = 1 << 20;
const NPY_HEADER_BYTES = 128;

export interface IndexRequest {
  /** sizes of every item of the indexed dataset (int32, as `indexed_dataset.sizes`). */
  sizes: Int32Array;
  /** Documents [start, stop) (`np.arange(start, stop)`; a split range or all). */
  start: number;
  stop: number;
  /** Requested samples; null in train_epochs mode. */
  numSamples: number | null;
  /** Given only in train_epochs mode (GPT-NeoX passes 1); otherwise derived from numSamples. */
  numEpochs?: number | null;
  seqLength: number;
  seed: number;
}

export interface IndexPlan {
  tokensPerEpoch: number;
  numEpochs: number;
  /** Length of doc_idx: documents × epochs. */
  docIdxLength: number;
  /** Samples the walk produces (`num_total`): shuffle_idx length; sample_idx has one row more. */
  samples: number;
  sampleIdxDescr: NpyDescr;
  shuffleIdxDescr: NpyDescr;
}

export interface BuildCost {
  memoryBytes: number;
  cacheBytes: number;
}

export interface ResourceLimits {
  /** Index built in memory (no caches): sample_idx is held whole. */
  inMemory: boolean;
  /** Directory the caches go to; its free space is checked. */
  cacheDir?: string;
  /** Memory the build may hold; default 90% of `availableMemoryBytes()`. */
  memoryLimitBytes?: number;
}

/** Memory the system can give this process now: MemAvailable on Linux, or the cgroup limit when lower. */
export function availableMemoryBytes(): number {
  let bytes = freemem();
  const constrained = process.constrainedMemory?.() ?? 0;
  if (constrained > 0 && constrained < 2 ** 60)
    bytes = Math.min(bytes, constrained - process.memoryUsage().rss);
  return Math.max(0, bytes);
}

function isInt(v: number, min: number): boolean {
  return Number.isSafeInteger(v) && v >= min;
}

/** Checks the parameters and works out epochs and array lengths (no allocation). */
export function planIndex(r: IndexRequest): IndexPlan {
  if (!isInt(r.seqLength, 2)) {
    throw new DataRequestError(
      "seq_length",
      r.seqLength,
      "expected an integer >= 2 (a sample is seq_length + 1 tokens)",
    );
  }
  if (!isInt(r.seed, 0) || r.seed >= 2 ** 32) {
    throw new DataRequestError(
      "seed",
      r.seed,
      "expected an integer in [0, 2^32) (numpy's RandomState takes a 32-bit seed)",
    );
  }
  if (r.numSamples !== null && !isInt(r.numSamples, 0)) {
    throw new DataRequestError("num_samples", r.numSamples, "expected an integer >= 0");
  }
  if (r.numEpochs && !isInt(r.numEpochs, 1)) {
    throw new DataRequestError("train_epochs", r.numEpochs, "expected an integer >= 1");
  }
  const len = r.sizes.length;
  const range = `[${r.start}, ${r.stop})`;
  if (len === 0)
    throw new DataRequestError("documents", range, "the dataset has no items, so there is nothing to sample");
  if (
    !(
      Number.isInteger(r.start) &&
      Number.isInteger(r.stop) &&
      r.start >= 0 &&
      r.stop <= len &&
      r.start < r.stop
    )
  ) {
    throw new DataRequestError("documents", range, `expected a non-empty range of the ${len} items`);
  }
  const tokens = tokensPerEpoch(r.sizes, r.start, r.stop);
  if (tokens < 2) {
    throw new DataRequestError(
      "documents",
      range,
      `hold ${tokens} token(s); a GPT2Dataset needs at least 2 (GPT-NeoX asserts tokens_per_epoch > 1)`,
    );
  }
  let epochs: number;
  if (r.numEpochs) {
    epochs = r.numEpochs;
    if (epochs * tokens > Number.MAX_SAFE_INTEGER) {
      const limit = Math.floor(Number.MAX_SAFE_INTEGER / tokens);
      throw new DataRequestError(
        "train_epochs",
        epochs,
        `${epochs} epochs of ${tokens} tokens is beyond 2^53 tokens`,
        limit,
      );
    }
  } else {
    if (r.numSamples === null)
      throw new DataRequestError("num_samples", "null", "give num_samples, or train_epochs");
    if (r.numSamples * r.seqLength + tokens > Number.MAX_SAFE_INTEGER) {
      const limit = Math.floor((Number.MAX_SAFE_INTEGER - tokens) / r.seqLength);
      throw new DataRequestError(
        "num_samples",
        r.numSamples,
        `num_samples × seq_length (${r.seqLength}) is beyond 2^53 tokens, where the epoch count is no longer exact`,
        limit,
      );
    }
    epochs = numEpochsFor(tokens, r.seqLength, r.numSamples);
  }
  const samples = totalSamples(epochs, tokens, r.seqLength);
  if (samples === 0) {
    // Only with num_samples 0 (one epoch): GPT-NeoX's __getitem__ would retry index % -1 forever.
    throw new DataRequestError(
      "seq_length",
      r.seqLength,
      `documents ${range} hold ${tokens} tokens, fewer than one sample of seq_length + 1, and num_samples 0 asks for no second epoch: the index would hold no sample; the largest seq_length that serves one is ${tokens - 1}`,
      tokens - 1,
    );
  }
  return {
    tokensPerEpoch: tokens,
    numEpochs: epochs,
    docIdxLength: (r.stop - r.start) * epochs,
    samples,
    sampleIdxDescr: sampleIdxDescr(epochs, tokens, r.seqLength),
    shuffleIdxDescr: shuffleIdxDescr(samples),
  };
}

/** Memory held by a build (peak, and kept while the dataset is open) and bytes of its three caches. */
export function buildCost(plan: IndexPlan, seqLength: number, inMemory: boolean): BuildCost {
  const rowBytes = 2 * NPY_ITEM_BYTES[plan.sampleIdxDescr];
  const sampleRows = plan.samples + 1;
  const docIdx = 4 * plan.docIdxLength;
  const shuffle = NPY_ITEM_BYTES[plan.shuffleIdxDescr] * plan.samples;
  const sampleIdx = rowBytes * sampleRows;
  return {
    memoryBytes:
      docIdx +
      shuffle +
      (inMemory ? sampleIdx : rowBytes * Math.min(SAMPLE_IDX_CHUNK_ROWS, sampleRows)) +
      8 * (seqLength + 1),
    cacheBytes: 3 * NPY_HEADER_BYTES + docIdx + sampleIdx + shuffle,
  };
}

type Limits = Required<Omit<ResourceLimits, "cacheDir">> & { freeDisk: number };

/** Why a build of `plan` cannot be served under `limits`, or null when it can. */
function shortfall(plan: IndexPlan, seqLength: number, limits: Limits): string | null {
  const arrays: [string, number][] = [
    ["doc_idx", plan.docIdxLength],
    ["shuffle_idx", plan.samples],
    ["a sample buffer", seqLength + 1],
  ];
  if (limits.inMemory) arrays.push(["sample_idx", 2 * (plan.samples + 1)]);
  for (const [name, n] of arrays) {
    if (n > MAX_TYPED_ARRAY_LENGTH)
      return `${name} would hold ${n} elements, more than the 2^32 a typed array can hold`;
  }
  const cost = buildCost(plan, seqLength, limits.inMemory);
  if (cost.memoryBytes > limits.memoryLimitBytes) {
    return `the index needs ${bytes(cost.memoryBytes)} of memory (doc_idx ${plan.docIdxLength} entries, shuffle_idx ${plan.samples}, over ${plan.numEpochs} epochs), more than the ${bytes(limits.memoryLimitBytes)} it may use`;
  }
  if (!limits.inMemory && cost.cacheBytes > limits.freeDisk) {
    return `the index caches need ${bytes(cost.cacheBytes)} on disk, more than the ${bytes(limits.freeDisk)} free there`;
  }
  return null;
}

function fullLimits(limits: ResourceLimits): Limits {
  return {
    inMemory: limits.inMemory,
    memoryLimitBytes: limits.memoryLimitBytes ?? Math.floor(0.9 * availableMemoryBytes()),
    freeDisk:
      limits.inMemory || limits.cacheDir === undefined
        ? Number.POSITIVE_INFINITY
        : freeDiskBytes(limits.cacheDir),
  };
}

/**
 * Throws DataRequestError when building `plan` would exceed a typed array's length, the memory limit or
 * the free disk space. Names num_samples when fewer samples would fit (with the largest that does), else
 * seq_length, else the documents themselves; train_epochs in train_epochs mode.
 */
export function checkBuildResources(r: IndexRequest, plan: IndexPlan, limits: ResourceLimits): void {
  const full = fullLimits(limits);
  const why = shortfall(plan, r.seqLength, full);
  if (why !== null) refuse(r, why, full);
}

/**
 * `planIndex` and `checkBuildResources` in one: the plan of a request this machine serves, or
 * DataRequestError. A request beyond 2^53 tokens is refused with the largest value this machine serves
 * (not the largest the arithmetic allows, which would not fit either). With `resources: false` only
 * that (a cache that is reused needs no memory for its arrays).
 */
export function planWithin(r: IndexRequest, limits: ResourceLimits, resources = true): IndexPlan {
  let plan: IndexPlan;
  try {
    plan = planIndex(r);
  } catch (e) {
    if (e instanceof DataRequestError && e.limit !== undefined) refuse(r, e.reason, fullLimits(limits));
    throw e;
  }
  if (resources) checkBuildResources(r, plan, limits);
  return plan;
}

/** Throws for `r`, which cannot be served because of `why`: says what to change, and to what. */
function refuse(r: IndexRequest, why: string, full: Limits): never {
  const fits = (change: Partial<IndexRequest>): boolean => {
    try {
      const q = { ...r, ...change };
      return shortfall(planIndex(q), q.seqLength, full) === null;
    } catch {
      return false;
    }
  };
  if (r.numSamples === null) {
    const epochs = r.numEpochs ?? 1;
    if (fits({ numEpochs: 1 })) {
      const limit = largest(1, epochs, (e) => fits({ numEpochs: e }));
      throw new DataRequestError(
        "train_epochs",
        epochs,
        `${why}; the most epochs that fit is ${limit}`,
        limit,
      );
    }
  } else if (fits({ numSamples: 0 })) {
    const limit = largest(0, r.numSamples, (n) => fits({ numSamples: n }));
    throw new DataRequestError(
      "num_samples",
      r.numSamples,
      `${why}; the largest num_samples that fits is ${limit}`,
      limit,
    );
  } else if (fits({ numSamples: 0, seqLength: 2 })) {
    // With the requested num_samples when some seq_length serves it, else with none.
    const numSamples = fits({ seqLength: 2 }) ? r.numSamples : 0;
    const limit = largest(2, r.seqLength, (s) => fits({ numSamples, seqLength: s }));
    throw new DataRequestError(
      "seq_length",
      r.seqLength,
      `${why}; the largest seq_length that fits is ${limit}`,
      limit,
    );
  }
  throw new DataRequestError(
    "documents",
    `[${r.start}, ${r.stop})`,
    `${why}, even for one epoch and no samples`,
  );
}

/** The largest v in [lo, hi) with ok(v), given ok(lo) and a monotone ok. */
function largest(lo: number, hi: number, ok: (v: number) => boolean): number {
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function freeDiskBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY; // not knowable here (no statfs); the write itself will say
  }
}

export function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}
