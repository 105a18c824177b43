import { readFileSync } from "node:fs";

// An event-file reader, written from the specifications and sharing no code with the writer (so
// tests of the writer, and of whatever trains through it, check it against an independent decoder):
// TFRecord framing (tensorflow/core/lib/io/record_reader.cc), CRC-32C computed bit by bit from the
// Castagnoli polynomial (RFC 3720 §B.4) rather than from a table, and a general protobuf field parser
// (protobuf.dev encoding guide) that knows every wire type, not only the ones the writer emits.

/** CRC-32C bit by bit: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc = (crc ^ b) >>> 0;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? ((crc >>> 1) ^ 0x82f63b78) >>> 0 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** TFRecord's masked CRC, from its definition: rotate right 15, add 0xa282ead8, modulo 2^32. */
export function maskedBitwise(bytes: Uint8Array): number {
  const c = crc32cBitwise(bytes);
  const rotated = Number((BigInt(c) >> 15n) | ((BigInt(c) << 17n) & 0xffffffffn));
  return (rotated + 0xa282ead8) % 2 ** 32;
}

export class DecodeError extends Error {
  constructor(
    readonly offset: number,
    readonly kind: "truncated" | "length_crc" | "data_crc" | "protobuf",
    message: string,
  ) {
    super(`byte ${offset}: ${kind}: ${message}`);
  }
}

/** Splits a TFRecord file into record payloads, checking both CRCs of every record. */
export function readRecords(file: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let off = 0;
  while (off < file.length) {
    if (file.length - off < 12)
      throw new DecodeError(off, "truncated", `${file.length - off} bytes of a header`);
    const lenBytes = file.subarray(off, off + 8);
    let len = 0;
    for (let i = 7; i >= 0; i--) len = len * 256 + lenBytes[i]!;
    if (u32le(file, off + 8) !== maskedBitwise(lenBytes))
      throw new DecodeError(off, "length_crc", "mismatch");
    const dataAt = off + 12;
    if (file.length - dataAt < len + 4) {
      throw new DecodeError(off, "truncated", `record of ${len} bytes, ${file.length - dataAt} remain`);
    }
    const data = file.subarray(dataAt, dataAt + len);
    if (u32le(file, dataAt + len) !== maskedBitwise(data)) throw new DecodeError(off, "data_crc", "mismatch");
    records.push(data);
    off = dataAt + len + 4;
  }
  return records;
}

function u32le(b: Uint8Array, at: number): number {
  return b[at]! + b[at + 1]! * 2 ** 8 + b[at + 2]! * 2 ** 16 + b[at + 3]! * 2 ** 24;
}

/** One parsed protobuf field: varints as bigint, fixed as raw bytes, length-delimited as bytes. */
export interface Field {
  number: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

export function parseMessage(msg: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= msg.length) throw new DecodeError(pos, "protobuf", "varint runs past the end");
      const b = msg[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      if (shift > 63n) throw new DecodeError(pos, "protobuf", "varint longer than 10 bytes");
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > msg.length) throw new DecodeError(pos, "protobuf", `field needs ${n} bytes`);
    const out = msg.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < msg.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) fields.push({ number, wire, varint: varint() });
    else if (wire === 1) fields.push({ number, wire, bytes: take(8) });
    else if (wire === 2) fields.push({ number, wire, bytes: take(Number(varint())) });
    else if (wire === 5) fields.push({ number, wire, bytes: take(4) });
    else throw new DecodeError(pos, "protobuf", `unsupported wire type ${wire}`);
  }
  return fields;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; value: number }[];
}

export interface Scalar {
  step: number;
  tag: string;
  value: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeEvent(data: Uint8Array): DecodedEvent {
  const ev: DecodedEvent = { wallTime: Number.NaN, step: 0, values: [] };
  for (const f of parseMessage(data)) {
    if (f.number === 1 && f.wire === 1) ev.wallTime = new DataView(copy(f.bytes!)).getFloat64(0, true);
    else if (f.number === 2 && f.wire === 0) ev.step = Number(BigInt.asIntN(64, f.varint!));
    else if (f.number === 3 && f.wire === 2) ev.fileVersion = utf8.decode(f.bytes!);
    else if (f.number === 5 && f.wire === 2) {
      for (const sv of parseMessage(f.bytes!)) {
        if (sv.number !== 1 || sv.wire !== 2) continue;
        let tag = "";
        let value = Number.NaN;
        for (const vf of parseMessage(sv.bytes!)) {
          if (vf.number === 1 && vf.wire === 2) tag = utf8.decode(vf.bytes!);
          if (vf.number === 2 && vf.wire === 5) value = new DataView(copy(vf.bytes!)).getFloat32(0, true);
        }
        ev.values.push({ tag, value });
      }
    }
  }
  return ev;
}

function copy(b: Uint8Array): ArrayBuffer {
  return new Uint8Array(b).buffer; // a copy: Buffer#slice would share the whole pool
}

/** Every event of a file, and its scalars as (step, tag, value) triples in file order. */
export function decodeEventFile(file: Uint8Array): { events: DecodedEvent[]; scalars: Scalar[] } {
  const events = readRecords(file).map(decodeEvent);
  const scalars = events.flatMap((e) => e.values.map((v) => ({ step: e.step, tag: v.tag, value: v.value })));
  return { events, scalars };
}

/** Every scalar (step, tag, value) of an event file on disk. */
export function readEventFileScalars(path: string): Scalar[] {
  return decodeEventFile(new Uint8Array(readFileSync(path))).scalars;
}
