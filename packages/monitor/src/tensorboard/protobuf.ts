// The few protocol-buffer encoders an Event needs, written from the wire-format specification
// (protobuf.dev/programming-guides/encoding): a field is a varint key (field_number << 3 | wire_type)
// followed by a varint (type 0), 8 little-endian bytes (type 1), a length-prefixed run (type 2)
// or 4 little-endian bytes (type 5).

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

const TEXT = new TextEncoder();

/** Appends protobuf fields to a growing byte buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /**
   * An unsigned varint: 7 bits a byte, least significant group first, high bit set on all but the
   * last. Accepts a safe integer >= 0 or a bigint below 2^64; a negative int64 must arrive as its
   * 64-bit two's complement bigint (see `int64`).
   */
  varint(value: number | bigint): this {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`protobuf varint: expected a safe integer >= 0, got ${value}`);
      }
      // Number arithmetic rather than bit operators: those truncate to 32 bits.
      while (value >= 0x80) {
        this.byte((value % 0x80) | 0x80);
        value = Math.floor(value / 0x80);
      }
      return this.byte(value);
    }
    if (value < 0n || value >= 1n << 64n) {
      throw new RangeError(`protobuf varint: expected a bigint in [0, 2^64), got ${value}`);
    }
    while (value >= 0x80n) {
      this.byte(Number(value & 0x7fn) | 0x80);
      value >>= 7n;
    }
    return this.byte(Number(value));
  }

  /** A field key: field number and wire type. */
  key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** An int64 field (wire type 0); negatives take ten bytes, as two's complement. */
  int64(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf int64 field ${field}: expected a safe integer, got ${value}`);
    }
    this.key(field, WIRE_VARINT);
    return value >= 0 ? this.varint(value) : this.varint(BigInt.asUintN(64, BigInt(value)));
  }

  /** A double field (wire type 1, IEEE 754 binary64 little-endian). */
  double(field: number, value: number): this {
    this.key(field, WIRE_FIXED64);
    this.reserve(8);
    this.view.setFloat64(this.len, value, true);
    this.len += 8;
    return this;
  }

  /** A float field (wire type 5, IEEE 754 binary32 little-endian; the value is rounded to float). */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    this.reserve(4);
    this.view.setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  /** A length-delimited field holding raw bytes (an embedded message or a string's UTF-8). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED).varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  /** A string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT.encode(value));
  }

  private byte(b: number): this {
    this.reserve(1);
    this.buf[this.len++] = b;
    return this;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
}
