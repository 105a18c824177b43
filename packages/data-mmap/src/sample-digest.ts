// Fingerprints of a sample order, so two implementations (or two runs) can be compared without dumping
// hundreds of millions of tokens: sha256 over items 0..S-1, each seq_length+1 tokens as int64 LE.
import { createHash } from "node:crypto";
import type { SampleSource } from "./gpt2-dataset";
import { encodeInt64 } from "./int64";

export interface SampleDigest {
  dataset_len: number;
  samples_sha256: string;
  first_samples: number[][];
}

export function digestSamples(source: SampleSource, count: number, firstN = 20): SampleDigest {
  const h = createHash("sha256");
  const width = source.seqLength + 1;
  const item = new Int32Array(width);
  const bytes = new Uint8Array(8 * width);
  const first: number[][] = [];
  for (let i = 0; i < count; i++) {
    source.getItem(i, item);
    encodeInt64(item, 0, width, bytes);
    h.update(bytes);
    if (i < firstN) first.push(Array.from(item));
  }
  return { dataset_len: source.length, samples_sha256: h.digest("hex"), first_samples: first };
}
