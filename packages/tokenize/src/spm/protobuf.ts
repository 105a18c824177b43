// A minimal protocol-buffers wire-format reader (https://protobuf.dev/programming-guides/encoding/):
// enough to walk a SentencePiece `.model` file field by field without generated code.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export interface Field {
  number: number;
  wire: number;
  /** Varint value (as a number; exact up to 2^53). */
  varint: number;
  /** The varint's low 32 bits, exact even for negative int32 values sent as 10-byte varints. */
  low32: number;
  /** Length-delimited payload, or the 4/8 raw bytes of a fixed-width field. */
  bytes: Uint8Array;
  /** Byte offset of the field's tag in the buffer given to `readFields`. */
  offset: number;
}

export class ProtoError extends Error {}

/** Reads every field of one message. `where` names the message in errors. */
export function readFields(buf: Uint8Array, where: string, base = 0): Field[] {
  const fields: Field[] = [];
  let p = 0;
  let low32 = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    low32 = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new ProtoError(`${where}: truncated varint at byte ${base + p}`);
      const b = buf[p++]!;
      result += (b & 0x7f) * scale;
      if (i < 5) low32 = (low32 | ((b & 0x7f) << (7 * i))) >>> 0;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new ProtoError(`${where}: varint longer than 10 bytes at byte ${base + p}`);
  };
  while (p < buf.length) {
    const offset = p;
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    const take = (n: number): Uint8Array => {
      if (p + n > buf.length) {
        throw new ProtoError(
          `${where}: field ${number} at byte ${base + offset} needs ${n} bytes, ${buf.length - p} left`,
        );
      }
      const out = buf.subarray(p, p + n);
      p += n;
      return out;
    };
    let field: Field;
    const none = { varint: 0, low32: 0 };
    if (wire === WIRE_VARINT) {
      const v = varint();
      field = { number, wire, varint: v, low32, bytes: new Uint8Array(0), offset: base + offset };
    } else if (wire === WIRE_I64) field = { number, wire, ...none, bytes: take(8), offset: base + offset };
    else if (wire === WIRE_I32) field = { number, wire, ...none, bytes: take(4), offset: base + offset };
    else if (wire === WIRE_LEN) {
      const n = varint();
      const start = p;
      field = { number, wire, ...none, bytes: take(n), offset: base + start };
    } else throw new ProtoError(`${where}: unsupported wire type ${wire} at byte ${base + offset}`);
    fields.push(field);
  }
  return fields;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function fieldString(f: Field, where: string): string {
  if (f.wire !== WIRE_LEN)
    throw new ProtoError(`${where}: field ${f.number} at byte ${f.offset} is not a string`);
  return utf8.decode(f.bytes);
}

export function fieldFloat(f: Field, where: string): number {
  if (f.wire !== WIRE_I32)
    throw new ProtoError(`${where}: field ${f.number} at byte ${f.offset} is not a float`);
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true);
}

/** A varint read as int32 (negative values arrive as 64-bit two's complement). */
export function fieldInt32(f: Field, where: string): number {
  if (f.wire !== WIRE_VARINT)
    throw new ProtoError(`${where}: field ${f.number} at byte ${f.offset} is not a varint`);
  return f.low32 | 0;
}
