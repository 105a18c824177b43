// Element types a tensor can hold, their sizes, and host-side conversions used by fromArray/toArray.
// bf16 and f16 travel through the host as raw 16-bit patterns (Node 20 has no Float16Array).

export type DType = "f32" | "bf16" | "f16" | "i32" | "i64" | "u16" | "u8";

export const DTYPES: readonly DType[] = ["f32", "bf16", "f16", "i32", "i64", "u16", "u8"];

const ITEM_SIZE: Record<DType, number> = { f32: 4, bf16: 2, f16: 2, i32: 4, i64: 8, u16: 2, u8: 1 };

export function itemSize(dtype: DType): number {
  return ITEM_SIZE[dtype];
}

export function isFloat(dtype: DType): boolean {
  return dtype === "f32" || dtype === "bf16" || dtype === "f16";
}

export function assertDType(value: string): DType {
  if ((DTYPES as readonly string[]).includes(value)) return value as DType;
  throw new Error(`unknown dtype "${value}": expected one of ${DTYPES.join(", ")}`);
}

/** The typed array that holds one element type's raw bits on the host. */
export type HostArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export function hostArray(dtype: DType, buffer: ArrayBuffer, byteOffset: number, length: number): HostArray {
  switch (dtype) {
    case "f32":
      return new Float32Array(buffer, byteOffset, length);
    case "bf16":
    case "f16":
    case "u16":
      return new Uint16Array(buffer, byteOffset, length);
    case "i32":
      return new Int32Array(buffer, byteOffset, length);
    case "i64":
      return new BigInt64Array(buffer, byteOffset, length);
    case "u8":
      return new Uint8Array(buffer, byteOffset, length);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float -> bf16 bits, round to nearest even (the rounding PyTorch and our native casts use). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function bf16ToFloat(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/** float -> IEEE binary16 bits, round to nearest even, with subnormals and overflow to infinity. */
export function floatToF16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && (mant & 1) === 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

export function f16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encode numbers into the raw host representation of `dtype`. */
export function encode(dtype: DType, values: ArrayLike<number>, out: HostArray): void {
  const n = values.length;
  switch (dtype) {
    case "bf16":
      for (let i = 0; i < n; i++) (out as Uint16Array)[i] = floatToBf16(values[i]!);
      return;
    case "f16":
      for (let i = 0; i < n; i++) (out as Uint16Array)[i] = floatToF16(values[i]!);
      return;
    case "i64":
      for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = BigInt(Math.trunc(values[i]!));
      return;
    default:
      (out as Float32Array).set(values);
  }
}

/** Decode the raw host representation of `dtype` into float32 values. */
export function decodeToFloat32(dtype: DType, raw: HostArray): Float32Array {
  const n = raw.length;
  const out = new Float32Array(n);
  switch (dtype) {
    case "bf16":
      for (let i = 0; i < n; i++) out[i] = bf16ToFloat((raw as Uint16Array)[i]!);
      return out;
    case "f16":
      for (let i = 0; i < n; i++) out[i] = f16ToFloat((raw as Uint16Array)[i]!);
      return out;
    case "i64":
      for (let i = 0; i < n; i++) out[i] = Number((raw as BigInt64Array)[i]!);
      return out;
    default:
      out.set(raw as ArrayLike<number>);
      return out;
  }
}
