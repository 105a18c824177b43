// Summary of an indexed dataset for `neox data inspect`: counts, token total and a power-of-two size
// histogram, computed by streaming the sizes array (never held whole).
import type { IndexedDataset } from "./indexed-dataset";

export interface SizeBucket {
  /** Items with min <= size < max (the first bucket is exactly size 0). */
  min: number;
  max: number;
  count: number;
}

export interface DatasetStats {
  prefix: string;
  dtype: string;
  items: number;
  documents: number;
  tokens: number;
  bin_bytes: number;
  idx_bytes: number;
  empty_items: number;
  min_size: number | null;
  max_size: number | null;
  mean_size: number | null;
  size_histogram: SizeBucket[];
}

export function datasetStats(ds: IndexedDataset): DatasetStats {
  const counts: number[] = []; // counts[0]: size 0; counts[b]: 2^(b-1) <= size < 2^b
  let tokens = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  ds.forEachSizesChunk((chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const s = chunk[i]!;
      tokens += s;
      if (s < min) min = s;
      if (s > max) max = s;
      const b = s === 0 ? 0 : 32 - Math.clz32(s);
      counts[b] = (counts[b] ?? 0) + 1;
    }
  });
  const histogram: SizeBucket[] = [];
  for (let b = 0; b < counts.length; b++) {
    if (!counts[b]) continue;
    histogram.push(
      b === 0 ? { min: 0, max: 1, count: counts[0]! } : { min: 2 ** (b - 1), max: 2 ** b, count: counts[b]! },
    );
  }
  const n = ds.length;
  return {
    prefix: ds.prefix,
    dtype: ds.dtype,
    items: n,
    documents: Math.max(0, ds.docCount - 1),
    tokens,
    bin_bytes: ds.binBytes,
    idx_bytes: ds.idxBytes,
    empty_items: counts[0] ?? 0,
    min_size: n ? min : null,
    max_size: n ? max : null,
    mean_size: n ? tokens / n : null,
    size_histogram: histogram,
  };
}
