// lm-evaluation-harness 0.4's aggregations (lm_eval/api/metrics.py) and their standard errors:
// `mean` (acc, acc_norm, exact_match) with the sample standard error; `perplexity` (exp of the
// negative mean log-likelihood, lambada's per-document perplexity) with a bootstrap standard error,
// as the harness bootstraps it; `weighted_perplexity` (word / byte perplexity) and `bits_per_byte`,
// for which the harness reports no standard error.
import { Rng } from "@neox/models";

export type Aggregation = "mean" | "perplexity" | "weighted_perplexity" | "bits_per_byte";

/** A per-document value: a number, or (log-likelihood, weight) for the weighted aggregations. */
export type Item = number | readonly [number, number];

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** sample_stddev: the n - 1 denominator. */
export function sampleStddev(xs: readonly number[]): number {
  const mu = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - mu) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** mean_stderr: sample_stddev / sqrt(n); NaN below two items (the harness would divide by zero). */
export function meanStderr(xs: readonly number[]): number {
  return xs.length < 2 ? Number.NaN : sampleStddev(xs) / Math.sqrt(xs.length);
}

export function perplexity(lls: readonly number[]): number {
  return Math.exp(-mean(lls));
}

export function weightedPerplexity(items: readonly (readonly [number, number])[]): number {
  let ll = 0;
  let w = 0;
  for (const [a, b] of items) {
    ll += a;
    w += b;
  }
  return Math.exp(-ll / w);
}

export function bitsPerByte(items: readonly (readonly [number, number])[]): number {
  let ll = 0;
  let w = 0;
  for (const [a, b] of items) {
    ll += a;
    w += b;
  }
  return -ll / w / Math.LN2;
}

export function aggregate(kind: Aggregation, items: readonly Item[]): number {
  if (kind === "mean") return mean(items as number[]);
  if (kind === "perplexity") return perplexity(items as number[]);
  if (kind === "weighted_perplexity") return weightedPerplexity(items as [number, number][]);
  return bitsPerByte(items as [number, number][]);
}

/**
 * bootstrap_stderr: the sample standard deviation of `f` over `iters` resamples (with replacement,
 * same size) of the items. The harness draws with Python's random.Random per chunk of 1000; this
 * draws with a seeded xoshiro128**, so the estimate is reproducible here but not bit-equal to the
 * harness's (a bootstrap estimate, equal in distribution).
 */
export function bootstrapStderr(
  f: (xs: readonly number[]) => number,
  xs: readonly number[],
  iters: number,
  seed = 1234,
): number {
  if (xs.length < 2 || iters < 2) return Number.NaN;
  const rng = new Rng(seed);
  const sample = new Array<number>(xs.length);
  const values: number[] = [];
  for (let i = 0; i < iters; i++) {
    for (let j = 0; j < xs.length; j++) sample[j] = xs[Math.floor(rng.next() * xs.length)]!;
    values.push(f(sample));
  }
  return sampleStddev(values);
}

/** The standard error the harness reports for an aggregation, or null where it reports none. */
export function stderrFor(kind: Aggregation, items: readonly Item[], bootstrapIters: number): number | null {
  if (kind === "mean") return meanStderr(items as number[]);
  if (kind === "perplexity") return bootstrapStderr(perplexity, items as number[], bootstrapIters);
  return null;
}
