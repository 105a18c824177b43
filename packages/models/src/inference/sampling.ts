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
 */
export function filteredDistribution(
  row: ArrayLike<number>,
  p: SamplingParams,
): { ids: Int32Array; probs: Float64Array } {
  const V = row.length;
  const inv = p.temperature > 0 ? 1 / p.temperature : 1;
  let ids = new Int32Array(V);
  for (let i = 0; i < V; i++) ids[i] = i;
  const logit = (i: number) => row[i]! * inv;
  if (p.topK > 0 && p.topK < V) {
    const kth = kthLargest(row, p.topK);
    ids = ids.filter((i) => row[i]! >= kth);
  }
  let probs = softmaxOf(ids, logit);
  if (p.topP > 0) {
    // Only tokens above a threshold can be in the kept prefix once the candidates' mass passes
    // top_p; lower the threshold until it does, then sort the candidates alone (not all of V).
    let cut = 1 / ids.length;
    let cand: number[] = [];
    for (;;) {
      cand = [];
      let mass = 0;
      for (let j = 0; j < ids.length; j++)
        if (probs[j]! >= cut) {
          cand.push(j);
          mass += probs[j]!;
        }
      if (mass > p.topP || cand.length === ids.length) break;
      cut /= 4;
    }
    cand.sort((a, b) => probs[b]! - probs[a]! || ids[a]! - ids[b]!);
    const keep: number[] = [];
    let cum = 0;
    for (const j of cand) {
      keep.push(j);
      cum += probs[j]!;
      if (cum > p.topP) break; // the token that crosses top_p is kept, the rest are not
    }
    ids = Int32Array.from(keep, (j) => ids[j]!);
    probs = softmaxOf(ids, logit);
  }
  return { ids, probs };
}

function softmaxOf(ids: Int32Array, logit: (i: number) => number): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const i of ids) max = Math.max(max, logit(i));
  const out = new Float64Array(ids.length);
  let sum = 0;
  for (let j = 0; j < ids.length; j++) {
    out[j] = Math.exp(logit(ids[j]!) - max);
    sum += out[j]!;
  }
  for (let j = 0; j < out.length; j++) out[j]! /= sum;
  return out;
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
  const { ids, probs } = filteredDistribution(row, p);
  const u = rng.next();
  let cum = 0;
  for (let j = 0; j < ids.length; j++) {
    cum += probs[j]!;
    if (u < cum) return ids[j]!;
  }
  return ids[ids.length - 1]!; // u within rounding of 1
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
