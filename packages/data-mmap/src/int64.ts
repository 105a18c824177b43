// int64 little-endian encoding of JS numbers without BigInt (BigInt conversion costs ~50 ns per value, too
// slow for the hundreds of millions of entries of a Pythia-scale index). Exact for |v| <= 2^53.

const TWO_32 = 4294967296;

/** Writes src[start..end) as int64 LE into `out` (a view whose byteOffset is a multiple of 4). */
export function encodeInt64(src: ArrayLike<number>, start: number, end: number, out: Uint8Array): void {
  const words = new Int32Array(out.buffer, out.byteOffset, 2 * (end - start));
  for (let i = start, w = 0; i < end; i++, w += 2) {
    const v = src[i]!;
    const hi = Math.floor(v / TWO_32);
    words[w] = v - hi * TWO_32; // low word, stored modulo 2^32
    words[w + 1] = hi;
  }
}

/**
 * Reads `count` int64 LE values from `bytes` into `out[outStart..]` as numbers. Returns -1, or the index
 * of the first value beyond ±2^53 (not exactly representable; the caller names the file and offset).
 */
export function decodeInt64(
  bytes: Uint8Array,
  count: number,
  out: { [i: number]: number },
  outStart: number,
): number {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, 2 * count);
  for (let i = 0; i < count; i++) {
    const lo = words[2 * i]! >>> 0;
    const hi = words[2 * i + 1]!;
    if (hi > 0x1fffff || hi < -0x200000) return i;
    out[outStart + i] = hi * TWO_32 + lo;
  }
  return -1;
}
