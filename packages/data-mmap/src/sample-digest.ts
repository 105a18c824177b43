// Fingerprints of a sample order, so two implementations (or two runs) can be compared without dumping
// hundreds of millions of tokens: sha256 over items 0..S-1, each seq_length+1 tokens as int64 LE.
// Memory is one sample plus a 512 KiB encoding buffer whatever seq_length is, and the samples listed in
// full are capped at FIRST_SAMPLES_MAX_TOKENS tokens in all (a JSON listing of 20 samples of 10^8 tokens
// would not fit a JS heap or string); the digest says when it listed fewer than asked.
import { createHash } from "node:crypto";
import type { SampleSource } from "./gpt2-dataset";
import { encodeInt64 } from "./int64";

export const FIRST_SAMPLES_MAX_TOKENS = 1 << 20;
const ENCODE_CHUNK = 1 << 16;

export interface SampleDigest {
  dataset_len: number;
  samples_sha256: string;
  first_samples: number[][];
  /** Why first_samples lists fewer than the samples asked for, or null. */
  first_samples_note: string | null;
}

export function digestSamples(source: SampleSource, count: number, firstN = 20): SampleDigest {
  if (!(Number.isSafeInteger(count) && count >= 0))
    throw new RangeError(`sample count ${count} is not an integer >= 0`);
  const h = createHash("sha256");
  const width = source.seqLength + 1;
  const item = new Int32Array(width);
  const bytes = new Uint8Array(8 * Math.min(width, ENCODE_CHUNK));
  const asked = Math.min(firstN, count);
  const listed = Math.min(asked, Math.floor(FIRST_SAMPLES_MAX_TOKENS / width));
  const first: number[][] = [];
  for (let i = 0; i < count; i++) {
    source.getItem(i, item);
    for (let s = 0; s < width; s += ENCODE_CHUNK) {
      const e = Math.min(width, s + ENCODE_CHUNK);
      encodeInt64(item, s, e, bytes);
      h.update(bytes.subarray(0, 8 * (e - s)));
    }
    if (i < listed) first.push(Array.from(item));
  }
  return {
    dataset_len: source.length,
    samples_sha256: h.digest("hex"),
    first_samples: first,
    first_samples_note:
      listed < asked
        ? `first_samples lists ${listed} of the first ${asked} samples: each is ${width} tokens and the listing is capped at ${FIRST_SAMPLES_MAX_TOKENS} tokens`
        : null,
  };
}
