import { describe, expect, it } from "vitest";
import { ProtoWriter } from "../../src/tensorboard/protobuf";
import { parseMessage } from "../../src/tensorboard/reader";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("protobuf encoders", () => {
  it("writes the encoding guide's example: field 1 varint 150 is 08 96 01", () => {
    expect(hex(new ProtoWriter().int64(1, 150).finish())).toBe("089601");
  });

  it("varint 300 is ac 02 (300 = 0b10_0101100: low 7 bits 0x2c with continuation, then 2)", () => {
    expect(hex(new ProtoWriter().varint(300).finish())).toBe("ac02");
  });

  it("a negative int64 takes ten bytes of two's complement", () => {
    // -1 as uint64 is 2^64-1: nine bytes of 0x7f|0x80 and a last byte 0x01 (64 = 9*7 + 1 bits).
    expect(hex(new ProtoWriter().int64(2, -1).finish())).toBe(`10${"ff".repeat(9)}01`);
  });

  it("varints past 32 bits round-trip through the test parser", () => {
    for (const v of [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const [f] = parseMessage(new ProtoWriter().int64(7, v).finish());
      expect(f).toMatchObject({ number: 7, wire: 0, varint: BigInt(v) });
    }
  });

  it("double is wire type 1 with 8 little-endian bytes, float wire type 5 with 4", () => {
    const bytes = new ProtoWriter().double(1, 1.5).float(2, -2).finish();
    // 1.5 = 0x3FF8000000000000; key (1<<3)|1 = 09. -2f = 0xC0000000; key (2<<3)|5 = 15.
    expect(hex(bytes)).toBe("09000000000000f83f" + "15000000c0");
  });

  it("strings are length-delimited UTF-8", () => {
    const bytes = new ProtoWriter().string(1, "é/x").finish();
    // key (1<<3)|2 = 0a, length 4 (é is c3 a9), then the bytes.
    expect(hex(bytes)).toBe("0a04c3a92f78");
  });

  it("rejects numbers a varint cannot hold", () => {
    expect(() => new ProtoWriter().varint(-1)).toThrow(/safe integer >= 0/);
    expect(() => new ProtoWriter().varint(1.5)).toThrow(/safe integer/);
    expect(() => new ProtoWriter().int64(2, 2 ** 60)).toThrow(/int64 field 2/);
  });

  it("grows its buffer past the initial size", () => {
    const big = new Uint8Array(1000).fill(7);
    const [f] = parseMessage(new ProtoWriter().bytes(3, big).finish());
    expect(f!.bytes).toEqual(big);
  });
});
