// TFRecord framing (tensorflow/core/lib/io/record_writer.cc), the container of TensorBoard event files:
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)

import { maskedCrc32c } from "./crc32c";

/** Bytes a record adds around its data: 8 length + 4 length CRC + 4 data CRC. */
export const RECORD_OVERHEAD = 16;

/** One framed record holding `data`. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_OVERHEAD + data.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
