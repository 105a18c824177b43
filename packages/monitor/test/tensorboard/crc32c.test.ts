import { describe, expect, it } from "vitest";
import { crc32c, maskCrc, maskedCrc32c } from "../../src/tensorboard/crc32c";
import { crc32cBitwise, maskedBitwise } from "../../src/tensorboard/reader";

const ascii = (s: string) => new TextEncoder().encode(s);

describe("CRC-32C", () => {
  // The catalogue check value of CRC-32C (iSCSI) over "123456789", and the RFC 3720 §B.4 examples.
  const cases: [string, Uint8Array, number][] = [
    ["check string", ascii("123456789"), 0xe3069283],
    ["32 zero bytes", new Uint8Array(32), 0x8a9136aa],
    ["32 bytes of 0xff", new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ["32 ascending bytes", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ["32 descending bytes", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ["empty", new Uint8Array(0), 0],
  ];
  for (const [name, bytes, want] of cases) {
    it(`${name}: table-driven and bitwise both give 0x${want.toString(16)}`, () => {
      expect(crc32c(bytes)).toBe(want);
      expect(crc32cBitwise(bytes)).toBe(want);
    });
  }

  it("table-driven matches bitwise on pseudo-random buffers of every length up to 300", () => {
    let x = 12345;
    for (let n = 0; n <= 300; n++) {
      const bytes = Uint8Array.from({ length: n }, () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x >>> 24;
      });
      expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
      expect(maskedCrc32c(bytes)).toBe(maskedBitwise(bytes));
    }
  });

  it("masking rotates right by 15 and adds 0xa282ead8 modulo 2^32", () => {
    // 1 rotated right by 15 lands on bit 17: 0x20000 + 0xa282ead8 = 0xa284ead8.
    expect(maskCrc(1)).toBe(0xa284ead8);
    // 0x8000 rotated right by 15 is 1: 1 + 0xa282ead8.
    expect(maskCrc(0x8000)).toBe(0xa282ead9);
    // 0xffffffff rotates to itself; adding 0xa282ead8 wraps to 0xa282ead7.
    expect(maskCrc(0xffffffff)).toBe(0xa282ead7);
  });
});
