// Read access to one of the three index arrays, whether held in memory (just built) or read from its
// .npy cache file element by element (as GPT-NeoX loads them with np.load(mmap_mode="r")).
import { createHash } from "node:crypto";
import { encodeInt64 } from "./int64";
import type { IndexArray } from "./npy";

export interface IndexVector {
  /** Number of elements of the flattened (C-order) array. */
  readonly length: number;
  at(i: number): number;
  /** Elements [from, to) as a typed array (a copy or a view). */
  read(from: number, to: number): IndexArray;
}

export class ArrayVector implements IndexVector {
  constructor(readonly data: IndexArray) {}
  get length(): number {
    return this.data.length;
  }
  at(i: number): number {
    return this.data[i]!;
  }
  read(from: number, to: number): IndexArray {
    return this.data.subarray(from, to);
  }
}

const HASH_CHUNK = 1 << 20;

/** sha256 of the array's elements as little-endian int64, C order (the `*_sha256` keys of `neox data samples`). */
export function sha256Int64(v: IndexVector | IndexArray): string {
  const vec: IndexVector = ArrayBuffer.isView(v) ? new ArrayVector(v) : v;
  const h = createHash("sha256");
  const bytes = new Uint8Array(8 * HASH_CHUNK);
  for (let s = 0; s < vec.length; s += HASH_CHUNK) {
    const e = Math.min(vec.length, s + HASH_CHUNK);
    encodeInt64(vec.read(s, e), 0, e - s, bytes);
    h.update(bytes.subarray(0, 8 * (e - s)));
  }
  return h.digest("hex");
}
