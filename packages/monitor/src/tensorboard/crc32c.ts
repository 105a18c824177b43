// CRC-32C (Castagnoli), the checksum TFRecord framing uses for its length and data fields.
// Reflected polynomial 0x82F63B78 (iSCSI, RFC 3720 §B.4); initial value and final xor 0xFFFFFFFF.

const POLY_REFLECTED = 0x82f63b78;

/** 256-entry table: the CRC of each byte value, so the update step handles a byte at a time. */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY_REFLECTED ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// TFRecord stores a masked CRC: a CRC over data that itself embeds CRCs is weak, so TensorFlow
// rotates right by 15 and adds a constant (tensorflow/core/lib/hash/crc32c.h, `Mask`).
const MASK_DELTA = 0xa282ead8;

/** The masked form of a CRC-32C that TFRecord writes: ((crc >>> 15) | (crc << 17)) + 0xa282ead8. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** The masked CRC-32C of `bytes`. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes));
}
