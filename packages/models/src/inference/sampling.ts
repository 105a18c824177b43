// Choosing the next token from a row of logits, as GPT-NeoX's generate does (neox-spec §1.6):
// greedy argmax when temperature, top_k and top_p are all 0; otherwise logits / temperature (when
// > 0), then top-k (keep logits >= the k-th largest, ties kept), then top-p (sort descending, keep
// the tokens whose cumulative softmax mass stays <= p plus the one that crosses it, never fewer
// than one), then a draw from the softmax of what is left. Draws come from a seeded generator
// (xoshiro128**), so a seed reproduces a sample exactly; each request owns its own.
// Log-probabilities reported beside a token are the model's own: log-softmax of the raw logits.
// V vocabulary (the row length).

export interface SamplingParams {
  temperature: number;
  topK: number;
  topP: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 0 };

export class SamplingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SamplingError";
  }
}

/** Checks the ranges GPT-NeoX accepts; throws naming the field. */
export function checkSampling(p: SamplingParams): void {
  if (!(Number.isFinite(p.temperature) && p.temperature >= 0))
    throw new SamplingError(`temperature must be a finite number >= 0, got ${p.temperature}`);
  if (!(Number.isInteger(p.topK) && p.topK >= 0))
    throw new SamplingError(`top_k must be an integer >= 0, got ${p.topK}`);
  if (!(p.topP >= 0 && p.topP <= 1)) throw new SamplingError(`top_p must be in [0, 1], got ${p.topP}`);
}

export function isGreedy(p: SamplingParams): boolean {
  return p.temperature === 0 && p.topK === 0 && p.topP === 0;
}

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32: 2^128 - 1 period, 32-bit output. */
export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/**
 * The distribution a draw is made from, after temperature, top-k and top-p, as (token, probability)
 * pairs that sum to 1 (tokens filtered out are absent). Used by `sample` and by tests.
 * Cost O(V) expected: top-k by selection, top-p by a mass-weighted selection; the row is never sorted.
 */
export function filteredDistribution(
  row: ArrayLike<number>,
  p: SamplingParams,
): { ids: Int32Array; probs: Float64Array } {
  const V = row.length;
  const inv = p.temperature > 0 ? 1 / p.temperature : 1;
  let ids: Int32Array;
  if (p.topK > 0 && p.topK < V) {
    const kth = kthLargest(row, p.topK);
    let n = 0;
    for (let i = 0; i < V; i++) if (row[i]! >= kth) n++;
    ids = new Int32Array(n);
    n = 0;
    for (let i = 0; i < V; i++) if (row[i]! >= kth) ids[n++] = i;
  } else {
    ids = new Int32Array(V);
    for (let i = 0; i < V; i++) ids[i] = i;
  }
  let probs = softmaxOf(row, ids, inv);
  if (p.topP > 0) {
    // The kept tokens in id order, not the selection's order: that order moves with the last bits
    // of the logits (a batch of another shape), and a draw walks the list, so a seed would no longer
    // give the same token. Softmax of the kept logits alone is their probabilities renormalised.
    const keep = nucleus(probs, ids, p.topP);
    const isKept = new Uint8Array(ids.length);
    for (let j = 0; j < keep.length; j++) isKept[keep[j]!] = 1;
    const keptIds = new Int32Array(keep.length);
    const kept = new Float64Array(keep.length);
    let mass = 0;
    for (let j = 0, n = 0; j < ids.length; j++) {
      if (isKept[j] === 0) continue;
      keptIds[n] = ids[j]!;
      kept[n] = probs[j]!;
      mass += kept[n++]!;
    }
    for (let j = 0; j < kept.length; j++) kept[j]! /= mass;
    ids = keptIds;
    probs = kept;
  }
  return { ids, probs };
}

function softmaxOf(row: ArrayLike<number>, ids: Int32Array, inv: number): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < ids.length; j++) max = Math.max(max, row[ids[j]!]! * inv);
  const out = new Float64Array(ids.length);
  let sum = 0;
  for (let j = 0; j < ids.length; j++) {
    out[j] = Math.exp(row[ids[j]!]! * inv - max);
    sum += out[j]!;
  }
  for (let j = 0; j < out.length; j++) out[j]! /= sum;
  return out;
}

/**
 * The positions (into probs) GPT-NeoX's top-p keeps: in descending order of probability (ties by
 * token id), every token while the mass before it is <= topP, so the one that crosses is kept.
 * A quickselect weighted by mass finds that prefix in O(n) expected instead of sorting all n:
 * partition around a pivot; if the tokens above it hold the crossing, continue among them alone,
 * else keep them all (and the pivot's ties, in id order) and continue below.
 */
function nucleus(probs: Float64Array, ids: Int32Array, topP: number): Int32Array {
  const pos = new Int32Array(probs.length);
  for (let j = 0; j < pos.length; j++) pos[j] = j;
  const swap = (a: number, b: number) => {
    const t = pos[a]!;
    pos[a] = pos[b]!;
    pos[b] = t;
  };
  const byRank = (a: number, b: number) => probs[b]! - probs[a]! || ids[a]! - ids[b]!;
  let lo = 0; // pos[0, lo) is kept
  let hi = pos.length; // pos[lo, hi) is undecided; pos[hi, n) is dropped
  let cum = 0;
  while (hi - lo > 32) {
    const pivot = probs[pos[(lo + hi) >>> 1]!]!;
    // three-way partition of pos[lo, hi): [lo, lt) above the pivot, [lt, gt) equal, [gt, hi) below
    let lt = lo;
    let gt = hi;
    for (let i = lo; i < gt; ) {
      const v = probs[pos[i]!]!;
      if (v > pivot) swap(lt++, i++);
      else if (v < pivot) swap(i, --gt);
      else i++;
    }
    let above = 0;
    for (let i = lo; i < lt; i++) above += probs[pos[i]!]!;
    if (cum + above > topP) {
      hi = lt; // the crossing token is above the pivot; the rest go
      continue;
    }
    cum += above;
    const ties = pos.subarray(lt, gt).sort((a, b) => ids[a]! - ids[b]!);
    for (let i = 0; i < ties.length; i++) {
      cum += probs[ties[i]!]!;
      if (cum > topP) return pos.slice(0, lt + i + 1);
    }
    lo = gt;
  }
  const rest = pos.subarray(lo, hi).sort(byRank);
  for (let i = 0; i < rest.length; i++) {
    cum += probs[rest[i]!]!;
    if (cum > topP) return pos.slice(0, lo + i + 1);
  }
  return pos.slice(0, hi); // top_p within rounding of 1: everything left
}

// The k-th largest value of row (1-based), by selection on a copy.
function kthLargest(row: ArrayLike<number>, k: number): number {
  const a = Float32Array.from(row);
  let lo = 0;
  let hi = a.length - 1;
  const want = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return a[want]!;
  }
  return a[want]!;
}

/** The next token from one row of logits: argmax when greedy, else a draw from `rng`. */
export function sample(row: ArrayLike<number>, p: SamplingParams, rng: Rng): number {
  if (isGreedy(p)) return argmax(row);
  if (p.topK === 0 && p.topP === 0) return drawSoftmax(row, 1 / p.temperature, rng);
  const { ids, probs } = filteredDistribution(row, p);
  const u = rng.next();
  let cum = 0;
  for (let j = 0; j < ids.length; j++) {
    cum += probs[j]!;
    if (u < cum) return ids[j]!;
  }
  return ids[ids.length - 1]!; // u within rounding of 1
}

// Temperature alone: the inverse CDF of softmax(row / T) in id order, as filteredDistribution's
// walk, but with no V-sized arrays made per token (two passes over the row, one exp each).
function drawSoftmax(row: ArrayLike<number>, inv: number, rng: Rng): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]! * inv);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! * inv - max);
  const target = rng.next() * sum;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp(row[i]! * inv - max);
    if (e > 0) last = i;
    cum += e;
    if (target < cum) return i;
  }
  return last; // target within rounding of sum
}

/** log-softmax of the raw logits at `id`, and the `top` most likely tokens with theirs. */
export function tokenLogprobs(
  row: ArrayLike<number>,
  id: number,
  top: number,
): { logprob: number; top: { id: number; logprob: number }[] } {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]!);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  const lse = max + Math.log(sum);
  const best: number[] = [];
  if (top > 0) {
    for (let i = 0; i < row.length; i++) {
      if (best.length < top || row[i]! > row[best[best.length - 1]!]!) {
        let at = best.length < top ? best.length : top - 1;
        if (best.length < top) best.push(i);
        while (at > 0 && row[best[at - 1]!]! < row[i]!) {
          best[at] = best[at - 1]!;
          at--;
        }
        best[at] = i;
      }
    }
  }
  return { logprob: row[id]! - lse, top: best.map((i) => ({ id: i, logprob: row[i]! - lse })) };
}
