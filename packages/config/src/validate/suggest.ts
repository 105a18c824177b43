// "Did you mean": the closest known key by edit distance, when it is close enough to be a typo.
// Candidates whose length differs by more than the allowed distance are skipped before any
// distance is computed, so a megabyte-long unknown key costs one comparison per candidate.

/** The candidate closest to `key`, if within max(2, |key|/4) edits and not a total rewrite. */
export function closest(key: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(Math.max(2, Math.floor(key.length / 4)), key.length - 1);
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - key.length) >= bestD) continue;
    const d = editDistance(key, c, bestD);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** Levenshtein distance, or any value ≥ `cap` once the distance is known to reach it. */
export function editDistance(a: string, b: string, cap = Number.POSITIVE_INFINITY): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    let rowMin = prev[0];
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
      if (prev[j]! < rowMin) rowMin = prev[j]!;
    }
    if (rowMin >= cap) return rowMin;
  }
  return prev[b.length]!;
}

/**
 * A report lists a bounded number of problems, so hints are searched for that many unknown keys at
 * most: a file of 50,000 misspelt keys must not cost 50,000 searches.
 */
export class HintBudget {
  constructor(private left: number) {}
  closest(key: string, candidates: Iterable<string>): string | undefined {
    return this.left-- > 0 ? closest(key, candidates) : undefined;
  }
}
