// Element types of a Megatron indexed dataset and their on-disk codes.
// Source: GPT-NeoX megatron/data/indexed_dataset.py `dtypes` (neox-spec §2a). GPT-NeoX numbers float32 6 and
// float64 7; Megatron-core swaps those two, which only matters for float data.

export type DType = "uint8" | "int8" | "int16" | "int32" | "int64" | "float32" | "float64" | "uint16";

/** A typed array holding items of one dtype (int64 items come back as BigInt64Array). */
export type TokenArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | Uint16Array;

export const DTYPE_CODES: Readonly<Record<DType, number>> = {
  uint8: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  float32: 6,
  float64: 7,
  uint16: 8,
};

export const ITEM_SIZES: Readonly<Record<DType, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  float32: 4,
  float64: 8,
  uint16: 2,
};

/** Range of integer dtypes that fit a JS number exactly (int64 is limited to ±2^53 when written from numbers). */
export const INT_RANGES: Readonly<Partial<Record<DType, readonly [number, number]>>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint16: [0, 65535],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export function dtypeFromCode(code: number): DType | undefined {
  for (const [name, c] of Object.entries(DTYPE_CODES)) if (c === code) return name as DType;
  return undefined;
}

export function isDType(name: string): name is DType {
  return Object.hasOwn(DTYPE_CODES, name);
}

/**
 * The dtype GPT-NeoX's `make_builder(..., vocab_size)` picks: uint16 when the tokenizer's (unpadded)
 * vocabulary is below 65500, else int32 (`__best_fitting_dtype`).
 */
export function bestFittingDtype(vocabSize: number): DType {
  return vocabSize < 65500 ? "uint16" : "int32";
}

/** A view of `bytes` as the dtype's typed array. `bytes` must be aligned to the item size. */
export function viewAs(dtype: DType, bytes: Uint8Array): TokenArray {
  const { buffer, byteOffset } = bytes;
  const n = bytes.byteLength / ITEM_SIZES[dtype];
  switch (dtype) {
    case "uint8":
      return new Uint8Array(buffer, byteOffset, n);
    case "int8":
      return new Int8Array(buffer, byteOffset, n);
    case "int16":
      return new Int16Array(buffer, byteOffset, n);
    case "int32":
      return new Int32Array(buffer, byteOffset, n);
    case "int64":
      return new BigInt64Array(buffer, byteOffset, n);
    case "float32":
      return new Float32Array(buffer, byteOffset, n);
    case "float64":
      return new Float64Array(buffer, byteOffset, n);
    case "uint16":
      return new Uint16Array(buffer, byteOffset, n);
  }
}

/** The items as plain numbers (int64 values converted with Number; exact below 2^53). */
export function toNumbers(a: TokenArray): number[] {
  return Array.from(a as ArrayLike<number | bigint>, (v) => Number(v));
}
