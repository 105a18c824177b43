// GPT-NeoX's weighted blending of several datasets (neox-spec §2c; megatron/data/blendable_dataset.py,
// helpers.cpp `build_blending_indices`, data_utils.py `get_normalized_weights_and_num_samples`,
// `weights_by_num_docs`).
import { DataRequestError } from "./errors";
import type { SampleSource } from "./gpt2-dataset";
import { MAX_TYPED_ARRAY_LENGTH } from "./index-budget";

/** numpy's float64 np.sum of a contiguous array: pairwise summation with 8 accumulators, blocks of 128. */
export function numpySum(a: readonly number[], from = 0, to = a.length): number {
  const n = to - from;
  if (n < 8) {
    let res = 0;
    for (let i = from; i < to; i++) res += a[i]!;
    return res;
  }
  if (n <= 128) {
    const r = a.slice(from, from + 8);
    let i = from + 8;
    for (; i < to - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < to; i++) res += a[i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, from, from + n2) + numpySum(a, from + n2, to);
}

/**
 * `get_normalized_weights_and_num_samples`: weights / Python sum(weights), and per dataset
 * ceil(num_samples · w · 1.005) (0.5% slack so the blend never runs short); null in train_epochs mode.
 */
export function weightedNumSamples(
  weights: readonly number[],
  numSamples: number | null,
  key = "data_weights",
): { weights: number[]; numSamples: (number | null)[] } {
  checkWeights(weights, key);
  let sum = 0;
  for (const w of weights) sum += w;
  const norm = weights.map((w) => w / sum);
  return {
    weights: norm,
    numSamples: norm.map((w) => (numSamples === null ? null : Math.ceil(numSamples * w * 1.005))),
  };
}

/**
 * Blend weights are finite and above 0. GPT-NeoX would divide by a zero sum or blend by NaN, and a
 * weight of exactly 0 does not leave a dataset out: its error ties with the others' at k = 1, so
 * build_blending_indices still draws its sample 0 there, from an index built for num_samples 0.
 */
export function checkWeights(weights: readonly number[], key = "data_weights"): void {
  if (weights.length === 0)
    throw new DataRequestError(key, "[]", "expected one weight per dataset, got none");
  weights.forEach((w, i) => {
    if (!(Number.isFinite(w) && w >= 0)) {
      throw new DataRequestError(`${key}[${i}]`, w, "expected a finite number > 0 (a share of the blend)");
    }
    if (w === 0) {
      throw new DataRequestError(
        `${key}[${i}]`,
        w,
        "a weight of 0 still draws from the dataset (GPT-NeoX's blend ties at k = 1 and takes its sample 0); leave the dataset out of the paths instead",
      );
    }
  });
}

/** `weights_by_num_docs` (weight_by_num_documents): p ∝ (n_i/N)^α, times (1 − n_i/N), normalised. */
export function weightsByNumDocs(counts: readonly number[], alpha = 0.3): number[] {
  if (counts.length === 1) return [1.0];
  let total = 0;
  for (const c of counts) total += c;
  const unbiased = counts.map((c) => c / total);
  const probs = unbiased.map((p) => p ** alpha);
  let ptotal = 0;
  for (const p of probs) ptotal += p;
  const weights = probs.map((p, i) => (p / ptotal) * (1 - unbiased[i]!));
  let wtotal = 0;
  for (const w of weights) wtotal += w;
  return weights.map((w) => w / wtotal);
}

export interface BlendingIndices {
  datasetIndex: Uint8Array;
  /** int64 in GPT-NeoX; held as Float64Array (exact to 2^53). */
  datasetSampleIndex: Float64Array;
}

/**
 * `build_blending_indices`: weights normalised with np.sum, then for each k choose the dataset with the
 * largest error w_i·max(k, 1) − count_i (strict >, so ties go to the lowest index).
 */
export function buildBlendingIndices(weights: readonly number[], size: number): BlendingIndices {
  if (weights.length === 0 || weights.length >= 255) {
    throw new DataRequestError(
      "datasets",
      weights.length,
      "blending takes 1 to 254 datasets (uint8 dataset_index)",
    );
  }
  checkWeights(weights, "weights");
  if (!(Number.isSafeInteger(size) && size >= 0 && size <= MAX_TYPED_ARRAY_LENGTH)) {
    throw new DataRequestError(
      "blend size",
      size,
      `expected an integer in [0, 2^32] (the blend's indices are typed arrays)`,
    );
  }
  const sum = numpySum(weights);
  const w = weights.map((x) => x / sum);
  const m = w.length;
  const current = new Float64Array(m);
  const datasetIndex = new Uint8Array(size);
  const datasetSampleIndex = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const d = Math.max(k, 1.0);
    let best = 0;
    let bestErr = w[0]! * d - current[0]!;
    for (let i = 1; i < m; i++) {
      const err = w[i]! * d - current[i]!;
      if (err > bestErr) {
        bestErr = err;
        best = i;
      }
    }
    datasetIndex[k] = best;
    datasetSampleIndex[k] = current[best]!;
    current[best]!++;
  }
  return { datasetIndex, datasetSampleIndex };
}

export class BlendableDataset implements SampleSource {
  readonly length: number;
  readonly seqLength: number;
  readonly indices: BlendingIndices;

  /** `weights` are normalised here (GPT-NeoX passes the already normalised train weights). */
  constructor(
    readonly datasets: readonly SampleSource[],
    weights: readonly number[],
  ) {
    if (datasets.length !== weights.length) {
      throw new Error(`${datasets.length} datasets but ${weights.length} weights`);
    }
    this.length = datasets.reduce((a, d) => a + d.length, 0);
    this.seqLength = datasets[0]?.seqLength ?? 0;
    this.indices = buildBlendingIndices(weights, this.length);
  }

  /** `__getitem__`: an index past the end wraps modulo the length (GPT-NeoX's IndexError retry). */
  getItem(i: number, out?: Int32Array): Int32Array {
    if (!Number.isInteger(i) || i < -this.length) throw new RangeError(`sample index ${i} out of range`);
    if (i >= this.length) i %= this.length;
    if (i < 0) i += this.length;
    return this.datasets[this.indices.datasetIndex[i]!]!.getItem(this.indices.datasetSampleIndex[i]!, out);
  }
}
