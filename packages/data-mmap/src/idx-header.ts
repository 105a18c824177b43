// The .idx header of a Megatron "mmap" indexed dataset (neox-spec §2a; GPT-NeoX
// megatron/data/indexed_dataset.py, MMapIndexedDataset.Index). All integers little-endian:
//   0  magic "MMIDIDX\0\0" (9 bytes)   9 u64 version = 1   17 u8 dtype code
//   18 u64 len (items)                 26 u64 doc_count (= length of doc_idx)
//   34 int32 sizes[len] | int64 pointers[len] | int64 doc_idx[doc_count]   (no padding)

import { DTYPE_CODES, type DType, dtypeFromCode } from "./dtypes";
import { DataFormatError } from "./errors";

export const IDX_MAGIC = new Uint8Array([0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]);
export const IDX_VERSION = 1;
export const IDX_HEADER_BYTES = 34;

export interface IdxHeader {
  dtype: DType;
  /** Number of items ("sequences"); GPT2Dataset treats each item as a document. */
  length: number;
  /** Length of the doc_idx array (documents + 1). */
  docCount: number;
  sizesOffset: number;
  pointersOffset: number;
  docIdxOffset: number;
  /** The exact size the .idx must have. */
  fileBytes: number;
}

function u64(view: DataView, at: number, path: string, field: string): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw new DataFormatError(path, field, at, `u64 value beyond 2^53 (high word ${hi})`);
  return hi * 4294967296 + lo;
}

export function parseIdxHeader(bytes: Uint8Array, path: string, fileBytes: number): IdxHeader {
  if (bytes.byteLength < IDX_HEADER_BYTES) {
    throw new DataFormatError(path, "header", 0, `need ${IDX_HEADER_BYTES} bytes, file has ${fileBytes}`);
  }
  for (let i = 0; i < IDX_MAGIC.length; i++) {
    if (bytes[i] !== IDX_MAGIC[i]) {
      const legacy = String.fromCharCode(...bytes.subarray(0, 6)) === "TNTIDX";
      throw new DataFormatError(
        path,
        "magic",
        i,
        legacy
          ? "this is a legacy 'cached' (TNTIDX) index; only the mmap format (MMIDIDX) is supported"
          : `expected "MMIDIDX\\0\\0" (the mmap indexed-dataset format), got bytes ${hex(bytes.subarray(0, 9))}`,
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, IDX_HEADER_BYTES);
  const version = u64(view, 9, path, "version");
  if (version !== IDX_VERSION) throw new DataFormatError(path, "version", 9, `expected 1, got ${version}`);
  const code = view.getUint8(17);
  const dtype = dtypeFromCode(code);
  if (!dtype) {
    throw new DataFormatError(
      path,
      "dtype code",
      17,
      `expected one of 1..8 (uint16 is 8, int32 is 4), got ${code}`,
    );
  }
  const length = u64(view, 18, path, "len");
  const docCount = u64(view, 26, path, "doc_count");
  const sizesOffset = IDX_HEADER_BYTES;
  const pointersOffset = sizesOffset + 4 * length;
  const docIdxOffset = pointersOffset + 8 * length;
  const expected = docIdxOffset + 8 * docCount;
  if (fileBytes !== expected) {
    throw new DataFormatError(
      path,
      fileBytes < expected ? "doc_idx (file truncated)" : "end of doc_idx (trailing bytes)",
      Math.min(fileBytes, expected),
      `len=${length} and doc_count=${docCount} need a ${expected}-byte .idx, the file has ${fileBytes} bytes`,
    );
  }
  return { dtype, length, docCount, sizesOffset, pointersOffset, docIdxOffset, fileBytes };
}

export function encodeIdxHeader(dtype: DType, length: number, docCount: number): Uint8Array {
  const out = new Uint8Array(IDX_HEADER_BYTES);
  out.set(IDX_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(9, BigInt(IDX_VERSION), true);
  view.setUint8(17, DTYPE_CODES[dtype]);
  view.setBigUint64(18, BigInt(length), true);
  view.setBigUint64(26, BigInt(docCount), true);
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
