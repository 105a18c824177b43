// GPT-NeoX's weighted blending of several datasets (neox-spec §2c; megatron/data/blendable_dataset.py,
// helpers.cpp `build_blending_indices`, data_utils.py `get_normalized_weights_and_num_samples`,
// `weights_by_num_docs`).
import type { SampleSource } from "./gpt2-dataset";

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
): { weights: number[]; numSamples: (number | null)[] } {
  let sum = 0;
  for (const w of weights) sum += w;
  if (!(sum > 0)) throw new Error(`data weights [${weights.join(", ")}] must sum to more than 0`);
  const norm = weights.map((w) => w / sum);
  return {
    weights: norm,
    numSamples: norm.map((w) => (numSamples === null ? null : Math.ceil(numSamples * w * 1.005))),
  };
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
  if (weights.length === 0 || weights.length >= 255)
    throw new Error(`blending needs 1..254 datasets, got ${weights.length}`);
  const sum = numpySum(weights);
  if (!(sum > 0)) throw new Error(`blend weights [${weights.join(", ")}] must sum to more than 0`);
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
