// Float64 reference for the dtype conversions: float -> bf16 / fp16 (round to nearest, ties to
// even) and back. Works on exact values with plain arithmetic, independent of the bit tricks the
// native kernels use. NaN rule (matches F16C and the native kernels): the result is a quiet NaN
// keeping the sign and the top mantissa bits of the float32 source.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round to an integer, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x); // rounds ties toward +infinity
  return x - Math.floor(x) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * A finite or infinite float64 -> binary16-like bits with `ebits` exponent and `mbits` mantissa
 * bits (bf16 = 8, 7; fp16 = 5, 10): subnormals, overflow to infinity, signed zero.
 */
function encodeFinite(x: number, ebits: number, mbits: number): number {
  const bias = (1 << (ebits - 1)) - 1;
  const expMax = (1 << ebits) - 1;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Number.POSITIVE_INFINITY) return sign | (expMax << mbits);
  if (a === 0) return sign;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 may be off by one next to powers of two
  if (2 ** (e + 1) <= a) e++;
  const emin = 1 - bias;
  if (e < emin) {
    // Subnormal: units of 2^(emin - mbits); rounding up may reach the smallest normal, whose bits
    // are exactly 1 << mbits, so the sum is right either way.
    return sign | roundHalfEven(a / 2 ** (emin - mbits));
  }
  let exp = e + bias;
  let q = roundHalfEven(a / 2 ** (e - mbits)); // in [2^mbits, 2^(mbits+1)]
  if (q === 2 ** (mbits + 1)) {
    q = 2 ** mbits;
    exp++;
  }
  if (exp >= expMax) return sign | (expMax << mbits);
  return sign | (exp << mbits) | (q - 2 ** mbits);
}

function decode(h: number, ebits: number, mbits: number): number {
  const bias = (1 << (ebits - 1)) - 1;
  const expMax = (1 << ebits) - 1;
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> mbits) & expMax;
  const man = h & ((1 << mbits) - 1);
  if (exp === expMax) return man ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  if (exp === 0) return sign * man * 2 ** (1 - bias - mbits);
  return sign * (1 + man / 2 ** mbits) * 2 ** (exp - bias);
}

/** float64 -> bf16 bits (one rounding, from the exact value). NaN -> 0x7fc0. */
export const f64ToBf16 = (x: number): number => (Number.isNaN(x) ? 0x7fc0 : encodeFinite(x, 8, 7));
/** float64 -> fp16 bits. NaN -> 0x7e00. */
export const f64ToF16 = (x: number): number => (Number.isNaN(x) ? 0x7e00 : encodeFinite(x, 5, 10));
export const bf16ToF64 = (h: number): number => decode(h, 8, 7);
export const f16ToF64 = (h: number): number => decode(h, 5, 10);

/** float32 bits -> bf16 bits: what f32ToBf16 must produce. */
export function f32BitsToBf16(bits: number): number {
  const b = bits >>> 0;
  const nan = (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
  if (nan) return ((b >>> 16) | 0x40) & 0xffff;
  return encodeFinite(f32FromBits(b), 8, 7);
}

/** float32 bits -> fp16 bits: what f32ToF16 must produce. */
export function f32BitsToF16(bits: number): number {
  const b = bits >>> 0;
  const nan = (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
  if (nan) return (b >>> 31 ? 0x8000 : 0) | 0x7e00 | ((b >>> 13) & 0x3ff);
  return encodeFinite(f32FromBits(b), 5, 10);
}

/** bf16 bits -> float32 bits (exact: bf16 is the top half of a float32). */
export function bf16ToF32Bits(h: number): number {
  return ((h & 0xffff) << 16) >>> 0;
}

/** fp16 bits -> float32 bits (exact); NaN keeps sign and payload, quiet bit set. */
export function f16ToF32Bits(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f && man !== 0) return ((h & 0x8000 ? 0x80000000 : 0) | 0x7fc00000 | (man << 13)) >>> 0;
  return f32Bits(f16ToF64(h));
}

/** The float32 bit pattern of x (rounded to float32 first). */
export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** The float32 whose bit pattern is `bits`. */
export function f32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}
