// A minimal protocol-buffers wire-format reader (https://protobuf.dev/programming-guides/encoding/):
// enough to walk a SentencePiece `.model` file field by field without generated code. The input is
// untrusted, so every malformed encoding is a ProtoError naming the message and the byte offset:
// a varint past 10 bytes or past 64 bits, field number 0 or above 2^29 − 1, a group or reserved
// wire type, a length running past the end of its message, a field of the wrong wire type. Fields
// are visited one at a time (no array of every field of a 100 MB message), and the caller stops
// after as many as it allows; unknown fields are skipped without descending into them, so nesting
// is only as deep as the schema the caller walks.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const WIRE_NAMES: Record<number, string> = {
  0: "a varint",
  1: "a 64-bit value",
  2: "length-delimited",
  3: "a group start (deprecated)",
  4: "a group end (deprecated)",
  5: "a 32-bit value",
};

/** Protobuf field numbers are 29 bits. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

export interface Field {
  number: number;
  wire: number;
  /** Varint value (as a number; exact up to 2^53). */
  varint: number;
  /** The varint's low 32 bits, exact even for negative int32 values sent as 10-byte varints. */
  low32: number;
  /** Length-delimited payload, or the 4/8 raw bytes of a fixed-width field. */
  bytes: Uint8Array;
  /** Byte offset of the field's tag in the whole file. */
  offset: number;
  /** Byte offset of the payload (`bytes`) in the whole file. */
  payloadOffset: number;
}

export class ProtoError extends Error {
  override name = "ProtoError";
}

/**
 * Calls `visit` with each field of one message, in order. `base` is the message's offset in the
 * file, so offsets in errors and in fields are file offsets. `visit` may throw to stop early.
 */
export function forEachField(buf: Uint8Array, where: string, base: number, visit: (f: Field) => void): void {
  let p = 0;
  let low32 = 0;
  const varint = (what: string): number => {
    const start = p;
    let result = 0;
    let scale = 1;
    low32 = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length)
        throw new ProtoError(`${where}: ${what} at byte ${base + start} runs past the end of the message`);
      const b = buf[p++]!;
      // the tenth byte holds bit 63 only: anything more does not fit in 64 bits
      if (i === 9 && b > 1)
        throw new ProtoError(`${where}: ${what} at byte ${base + start} overflows 64 bits`);
      result += (b & 0x7f) * scale;
      if (i < 5) low32 = (low32 | ((b & 0x7f) << (7 * i))) >>> 0;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new ProtoError(`${where}: ${what} at byte ${base + start} is longer than 10 bytes`);
  };
  while (p < buf.length) {
    const offset = base + p;
    const tag = varint("a field tag");
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number < 1 || number > MAX_FIELD_NUMBER)
      throw new ProtoError(
        `${where}: field number ${number} at byte ${offset} is not a valid protobuf field number`,
      );
    const take = (n: number): Uint8Array => {
      if (n > buf.length - p) {
        throw new ProtoError(
          `${where}: field ${number} at byte ${offset} needs ${n} bytes, but only ${buf.length - p} remain in the message`,
        );
      }
      const out = buf.subarray(p, p + n);
      p += n;
      return out;
    };
    const none = { varint: 0, low32: 0 };
    if (wire === WIRE_VARINT) {
      const start = base + p;
      const v = varint(`the value of field ${number}`);
      visit({ number, wire, varint: v, low32, bytes: new Uint8Array(0), offset, payloadOffset: start });
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      const start = base + p;
      visit({ number, wire, ...none, bytes: take(wire === WIRE_I64 ? 8 : 4), offset, payloadOffset: start });
    } else if (wire === WIRE_LEN) {
      const n = varint(`the length of field ${number}`);
      const start = base + p;
      visit({ number, wire, ...none, bytes: take(n), offset, payloadOffset: start });
    } else {
      throw new ProtoError(
        `${where}: field ${number} at byte ${offset} has wire type ${wire} (${WIRE_NAMES[wire] ?? "reserved"}), which SentencePiece models do not use`,
      );
    }
  }
}

/** Reads every field of one message (small messages only: a piece, the specs). */
export function readFields(buf: Uint8Array, where: string, base = 0): Field[] {
  const fields: Field[] = [];
  forEachField(buf, where, base, (f) => fields.push(f));
  return fields;
}

/** Throws unless `f` has wire type `wire`; `name` is the field's name in the schema. */
export function expectWire(f: Field, wire: number, name: string, where: string): void {
  if (f.wire !== wire)
    throw new ProtoError(
      `${where}: field ${f.number} (${name}) at byte ${f.offset} is ${WIRE_NAMES[f.wire]}, expected ${WIRE_NAMES[wire]}`,
    );
}

// ignoreBOM: a piece may be U+FEFF itself (Llama 2 has one), which the decoder would otherwise drop
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function fieldString(f: Field, where: string, name = "a string"): string {
  expectWire(f, WIRE_LEN, name, where);
  try {
    return utf8.decode(f.bytes);
  } catch {
    throw new ProtoError(
      `${where}: field ${f.number} (${name}) at byte ${f.payloadOffset} is not valid UTF-8`,
    );
  }
}

export function fieldFloat(f: Field, where: string, name = "a float"): number {
  expectWire(f, WIRE_I32, name, where);
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true);
}

/** A varint read as int32 (negative values arrive as 64-bit two's complement). */
export function fieldInt32(f: Field, where: string, name = "an int32"): number {
  expectWire(f, WIRE_VARINT, name, where);
  return f.low32 | 0;
}

/** A varint read as bool (any non-zero value is true, as protobuf decoders do). */
export function fieldBool(f: Field, where: string, name = "a bool"): boolean {
  expectWire(f, WIRE_VARINT, name, where);
  return f.varint !== 0;
}
