// GPT-NeoX's GPT2Dataset index mappings for the default `packed` implementation (neox-spec §2b;
// megatron/data/gpt2_dataset.py `_build_index_mappings`, helpers.cpp `build_sample_idx`):
//   doc_idx     the documents repeated for every epoch, then shuffled as one array (int32)
//   sample_idx  [n+1, 2] rows (index into doc_idx, token offset) where sample k starts; samples are
//               seq_length+1 tokens and consecutive samples share one token (int32, int64 when large)
//   shuffle_idx a shuffled arange(n) (uint32, int64 when n >= 2^32-2), from the same RNG stream
import type { MT19937 } from "./mt19937";
import type { IndexArray, NpyDescr } from "./npy";

/** Σ sizes[documents] (`_num_tokens`). */
export function tokensPerEpoch(sizes: Int32Array, start: number, stop: number): number {
  let t = 0;
  for (let i = start; i < stop; i++) t += sizes[i]!;
  return t;
}

/** Smallest E >= 1 with (E·tokens_per_epoch − 1) // seq_length >= num_samples (`_num_epochs`). */
export function numEpochsFor(tokens: number, seqLength: number, numSamples: number): number {
  if (tokens < 2) {
    throw new Error(
      `the documents hold ${tokens} token(s); a GPT2Dataset needs at least 2 (tokens_per_epoch > 1)`,
    );
  }
  // Closed form of GPT-NeoX's loop: E = ceil((num_samples·seq_length + 1) / tokens), at least 1.
  let e = Math.max(1, Math.ceil((numSamples * seqLength + 1) / tokens));
  while (e > 1 && Math.floor(((e - 1) * tokens - 1) / seqLength) >= numSamples) e--;
  while (Math.floor((e * tokens - 1) / seqLength) < numSamples) e++;
  return e;
}

/** Number of samples the walk produces: (E·tokens − 1) // seq_length. */
export function totalSamples(epochs: number, tokens: number, seqLength: number): number {
  return Math.floor((epochs * tokens - 1) / seqLength);
}

/**
 * sample_idx dtype: GPT-NeoX tests `2 * (num_samples + 1) < int32 max` with num_samples computed by
 * float division, then calls build_sample_idx_int32 or _int64.
 */
export function sampleIdxDescr(epochs: number, tokens: number, seqLength: number): NpyDescr {
  return 2 * ((epochs * tokens - 1) / seqLength + 1) < 2147483647 ? "<i4" : "<i8";
}

/** shuffle_idx dtype (`_build_shuffle_idx`): uint32 unless size >= 2^32 − 2. */
export function shuffleIdxDescr(size: number): NpyDescr {
  return size >= 4294967295 - 1 ? "<i8" : "<u4";
}

/** `_build_doc_idx`: documents [start, stop) repeated `epochs` times, epoch-major, then shuffled (int32). */
export function buildDocIdx(start: number, stop: number, epochs: number, rng: MT19937): Int32Array {
  const n = stop - start;
  const out = new Int32Array(n * epochs);
  for (let e = 0, k = 0; e < epochs; e++) for (let d = start; d < stop; d++) out[k++] = d;
  rng.shuffle(out);
  return out;
}

/**
 * `build_sample_idx`: walks the shuffled token stream and emits the flattened rows in chunks of at most
 * `chunkRows` rows (so a 146M-row table never has to be held at once). `emit` receives a buffer that is
 * reused for the next chunk.
 */
export function walkSampleIdx(
  sizes: Int32Array,
  docIdx: Int32Array,
  seqLength: number,
  epochs: number,
  tokens: number,
  emit: (rows: IndexArray, count: number) => void,
  chunkRows = 1 << 20,
): void {
  if (!(seqLength > 1)) throw new Error(`seq_length must be > 1, got ${seqLength}`);
  const n = totalSamples(epochs, tokens, seqLength);
  const wide = sampleIdxDescr(epochs, tokens, seqLength) === "<i8";
  const rows = Math.min(chunkRows, n + 1);
  const buf: IndexArray = wide ? new Float64Array(2 * rows) : new Int32Array(2 * rows);
  let used = 0;
  const push = (k: number, offset: number): void => {
    buf[2 * used] = k;
    buf[2 * used + 1] = offset;
    if (++used === rows) {
      emit(buf, used);
      used = 0;
    }
  };
  let k = 0; // index into doc_idx
  let offset = 0; // token offset in doc_idx[k]
  push(0, 0);
  const last = docIdx.length;
  for (let sample = 1; sample <= n; sample++) {
    let remaining = seqLength + 1;
    while (remaining !== 0) {
      if (k >= last)
        throw new Error(`sample_idx walk ran past doc_idx (${last} entries) at sample ${sample}`);
      const length = sizes[docIdx[k]!]! - offset;
      remaining -= length;
      if (remaining <= 0) {
        // The −1 makes the last token of this sample the first of the next (see `_num_epochs`).
        offset += remaining + length - 1;
        remaining = 0;
      } else {
        k++;
        offset = 0;
      }
    }
    push(k, offset);
  }
  if (used > 0) emit(buf, used);
}

/** `_build_shuffle_idx`: arange(size) in uint32 (or int64, held as Float64Array), shuffled. */
export function buildShuffleIdx(size: number, rng: MT19937): Uint32Array | Float64Array {
  const out = shuffleIdxDescr(size) === "<u4" ? new Uint32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = i;
  rng.shuffle(out);
  return out;
}
