// The .npy header (numpy/lib/format.py): "\x93NUMPY", major, minor 0, the header length (u16 LE for
// version 1.0, u32 LE for 2.0 and 3.0), then a Python dict literal
// `{'descr': '<i4', 'fortran_order': False, 'shape': (N, 2), }` padded with spaces and ended by "\n".
// Writing: numpy >= 1.24 pads to a 64-byte boundary and leaves 21 - len(repr(shape[0])) spare spaces so the
// array can grow in place; we do the same, so our files are byte-identical to `np.save`.
// Reading: the dict is parsed as a literal, not searched with patterns, and everything a hostile file
// could make absurd is checked before it is used: the header length against numpy's own 10,000-byte
// limit and the file size, exactly the three keys numpy requires, each dimension a non-negative integer,
// and the element count below 2^53.
import { DataFormatError } from "./errors";
import type { RandomAccessFile } from "./random-access-file";

/** The element types of GPT-NeoX's index caches. int64 arrays are held as Float64Array (exact to 2^53). */
export type NpyDescr = "<i4" | "<u4" | "<i8";

export const NPY_ITEM_BYTES: Readonly<Record<NpyDescr, number>> = { "<i4": 4, "<u4": 4, "<i8": 8 };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy's `max_header_size` default (format.py `_MAX_HEADER_SIZE`): larger headers are refused unread. */
export const NPY_MAX_HEADER_BYTES = 10000;

export function npyHeader(descr: NpyDescr, shape: readonly number[]): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += " ".repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const hlen = dict.length + 1; // + "\n"
  const pad = ALIGN - ((MAGIC.length + 2 + 2 + hlen) % ALIGN);
  const text = `${dict}${" ".repeat(pad)}\n`; // numpy pads a full 64 when already aligned
  const out = new Uint8Array(10 + text.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

export interface NpyInfo {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Number of elements (the product of the shape; 1 for shape `()`). */
  count: number;
  /** Byte offset where the data starts. */
  dataOffset: number;
}

/** Parses and checks the header of an .npy file (versions 1.0, 2.0 and 3.0). */
export function readNpyInfo(file: RandomAccessFile): NpyInfo {
  const path = file.path;
  const bad = (field: string, at: number, detail: string): DataFormatError =>
    new DataFormatError(path, field, at, detail);
  const head = file.read(Math.min(file.size, 12), 0, "npy header");
  for (let i = 0; i < MAGIC.length; i++) {
    if (head[i] !== MAGIC[i])
      throw bad("npy magic", i, `expected "\\x93NUMPY", the file has ${file.size} bytes`);
  }
  const major = head[6];
  const minor = head[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw bad("npy version", 6, `expected 1.0, 2.0 or 3.0, got ${major ?? "nothing"}.${minor ?? ""}`);
  }
  const start = major === 1 ? 10 : 12;
  if (file.size < start) throw bad("npy header length", 8, `need ${start} bytes, the file has ${file.size}`);
  const view = new DataView(head.buffer);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (hlen > NPY_MAX_HEADER_BYTES) {
    throw bad("npy header length", 8, `${hlen} bytes, beyond numpy's limit of ${NPY_MAX_HEADER_BYTES}`);
  }
  if (start + hlen > file.size) {
    throw bad(
      "npy header length",
      8,
      `${hlen} bytes from byte ${start}, past the end of the ${file.size}-byte file`,
    );
  }
  const raw = file.read(hlen, start, "npy header dict");
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(raw);
  const dict = new DictParser(text, (at, detail) => bad("npy header dict", start + at, detail)).parse();

  const keys = Object.keys(dict).sort().join(", ");
  if (keys !== "descr, fortran_order, shape") {
    throw bad(
      "npy header dict",
      start,
      `expected the keys descr, fortran_order and shape, found ${keys || "none"}`,
    );
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== "string") throw bad("npy descr", start, `expected a string, found ${show(descr)}`);
  if (typeof fortran !== "boolean")
    throw bad("npy fortran_order", start, `expected True or False, found ${show(fortran)}`);
  if (!Array.isArray(shape))
    throw bad("npy shape", start, `expected a tuple of integers, found ${show(shape)}`);
  let count = 1;
  for (const [k, d] of shape.entries()) {
    count *= d;
    if (!Number.isSafeInteger(count)) {
      throw bad(
        "npy shape",
        start,
        `(${shape.join(", ")}) has more than 2^53 elements (beyond dimension ${k})`,
      );
    }
  }
  return { descr, fortranOrder: fortran, shape, count, dataOffset: start + hlen };
}

type Literal = string | boolean | number[];

/** A parser for the one Python literal numpy writes: a dict of strings, booleans and integer tuples. */
class DictParser {
  private at = 0;
  constructor(
    private readonly s: string,
    private readonly fail: (at: number, detail: string) => DataFormatError,
  ) {}

  parse(): Record<string, Literal> {
    const out: Record<string, Literal> = Object.create(null);
    this.expect("{");
    this.space();
    while (this.s[this.at] !== "}") {
      const keyAt = this.at;
      const key = this.string();
      if (Object.hasOwn(out, key)) throw this.fail(keyAt, `key '${key}' repeated`);
      this.space();
      this.expect(":");
      this.space();
      out[key] = this.value();
      this.space();
      if (this.s[this.at] === ",") {
        this.at++;
        this.space();
      } else if (this.s[this.at] !== "}") {
        throw this.fail(this.at, `expected "," or "}", found ${this.here()}`);
      }
    }
    this.at++;
    if (!/^[ \t\r\n]*$/.test(this.s.slice(this.at))) {
      throw this.fail(this.at, `expected only padding after the dict, found ${this.here()}`);
    }
    return out;
  }

  private value(): Literal {
    const c = this.s[this.at];
    if (c === "'" || c === '"') return this.string();
    if (c === "(") return this.tuple();
    for (const [word, v] of [
      ["True", true],
      ["False", false],
    ] as const) {
      if (this.s.startsWith(word, this.at)) {
        this.at += word.length;
        return v;
      }
    }
    throw this.fail(this.at, `expected a string, True, False or a tuple, found ${this.here()}`);
  }

  private tuple(): number[] {
    this.expect("(");
    const dims: number[] = [];
    this.space();
    while (this.s[this.at] !== ")") {
      const m = /^[0-9]+L?/.exec(this.s.slice(this.at, this.at + 24));
      if (!m) throw this.fail(this.at, `expected a dimension (an integer >= 0), found ${this.here()}`);
      const d = Number(m[0].replace("L", ""));
      if (!Number.isSafeInteger(d)) throw this.fail(this.at, `dimension ${m[0]} is beyond 2^53`);
      dims.push(d);
      this.at += m[0].length;
      this.space();
      if (this.s[this.at] === ",") {
        this.at++;
        this.space();
      } else if (this.s[this.at] !== ")") {
        throw this.fail(this.at, `expected "," or ")", found ${this.here()}`);
      }
    }
    this.at++;
    return dims;
  }

  private string(): string {
    const q = this.s[this.at];
    if (q !== "'" && q !== '"') throw this.fail(this.at, `expected a quoted string, found ${this.here()}`);
    const end = this.s.indexOf(q, this.at + 1);
    if (end < 0) throw this.fail(this.at, "unterminated string");
    const v = this.s.slice(this.at + 1, end);
    this.at = end + 1;
    return v;
  }

  private expect(c: string): void {
    if (this.s[this.at] !== c) throw this.fail(this.at, `expected "${c}", found ${this.here()}`);
    this.at++;
  }

  private space(): void {
    while (this.s[this.at] === " ") this.at++;
  }

  private here(): string {
    return this.at >= this.s.length
      ? "the end of the header"
      : JSON.stringify(this.s.slice(this.at, this.at + 12));
  }
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}
