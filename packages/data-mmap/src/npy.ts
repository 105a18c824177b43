// The .npy format (numpy/lib/format.py, format version 1.0): "\x93NUMPY", major 1, minor 0, u16 LE header
// length, then an ASCII dict `{'descr': '<i4', 'fortran_order': False, 'shape': (N, 2), }` padded with
// spaces to a 64-byte boundary and ended by "\n", then the raw C-order data. numpy >= 1.24 also leaves
// 21 - len(repr(shape[0])) spare spaces after the dict so the array can grow in place; we do the same, so
// our files are byte-identical to `np.save` of the same array (checked in test/npy.test.ts).
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { DataFormatError } from "./errors";
import { decodeInt64, encodeInt64 } from "./int64";
import { PagedReader, RandomAccessFile } from "./random-access-file";

/** The element types of GPT-NeoX's index caches. int64 arrays are held as Float64Array (exact to 2^53). */
export type NpyDescr = "<i4" | "<u4" | "<i8";
export type IndexArray = Int32Array | Uint32Array | Float64Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
const CHUNK = 1 << 16;

export const NPY_ITEM_BYTES: Readonly<Record<NpyDescr, number>> = { "<i4": 4, "<u4": 4, "<i8": 8 };

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
  /** Byte offset where the data starts. */
  dataOffset: number;
}

/** Parses the header of an .npy file (versions 1.0, 2.0 and 3.0). */
export function readNpyInfo(file: RandomAccessFile): NpyInfo {
  const path = file.path;
  const head = file.read(Math.min(file.size, 12), 0, "npy header");
  for (let i = 0; i < MAGIC.length; i++) {
    if (head[i] !== MAGIC[i]) throw new DataFormatError(path, "npy magic", i, 'expected "\\x93NUMPY"');
  }
  const major = head[6]!;
  const view = new DataView(head.buffer);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    hlen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new DataFormatError(path, "npy version", 6, `expected major version 1, 2 or 3, got ${major}`);
  }
  const text = new TextDecoder("latin1").decode(file.read(hlen, start, "npy header dict"));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataFormatError(
      path,
      "npy header dict",
      start,
      `expected descr, fortran_order and shape in ${JSON.stringify(text.trim())}`,
    );
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { descr, fortranOrder: fortran === "True", shape, dataOffset: start + hlen };
}

/**
 * Writes an .npy file from chunks, under a temporary name renamed into place by `close`. For arrays too
 * large to hold twice (a Pythia-scale sample_idx is 1.2 GB), rows are appended as they are computed.
 */
export class NpyWriter {
  private fd: number;
  private readonly tmp: string;
  private written = 0;
  private readonly expected: number;
  private readonly bytes = new Uint8Array(8 * CHUNK);

  constructor(
    readonly path: string,
    readonly descr: NpyDescr,
    readonly shape: readonly number[],
  ) {
    this.expected = shape.reduce((a, b) => a * b, 1);
    this.tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.fd = openSync(this.tmp, "w");
    writeAllSync(this.fd, npyHeader(descr, shape));
  }

  /** Appends `values[from..to)` (element count, flattened C order). */
  append(values: IndexArray, from = 0, to = values.length): void {
    if (this.written + (to - from) > this.expected) {
      throw new Error(
        `${this.path}: more than the ${this.expected} elements of shape (${this.shape.join(", ")})`,
      );
    }
    if (this.descr === "<i8") {
      for (let s = from; s < to; s += CHUNK) {
        const e = Math.min(to, s + CHUNK);
        encodeInt64(values, s, e, this.bytes);
        writeAllSync(this.fd, this.bytes.subarray(0, 8 * (e - s)));
      }
    } else {
      const typed = this.descr === "<i4" ? Int32Array : Uint32Array;
      if (values instanceof typed) {
        writeAllSync(this.fd, new Uint8Array(values.buffer, values.byteOffset + 4 * from, 4 * (to - from)));
      } else {
        for (let s = from; s < to; s += CHUNK) {
          const e = Math.min(to, s + CHUNK);
          const out = new typed(this.bytes.buffer, 0, e - s);
          out.set(values.subarray(s, e));
          writeAllSync(this.fd, this.bytes.subarray(0, 4 * (e - s)));
        }
      }
    }
    this.written += to - from;
  }

  close(): void {
    if (this.written !== this.expected) {
      this.abort();
      throw new Error(`${this.path}: wrote ${this.written} of ${this.expected} elements`);
    }
    // No fsync: index caches are regenerable and checked (dtype, shape, size) before reuse, and syncing
    // 1.8 GB of Pythia-scale caches costs over a minute on a busy disk. The rename still makes a
    // half-written file invisible under the final name.
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}

export function saveNpy(path: string, descr: NpyDescr, shape: readonly number[], values: IndexArray): void {
  const w = new NpyWriter(path, descr, shape);
  try {
    w.append(values);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** An .npy array of one of the index dtypes, read element by element through a page cache. */
export class NpyArrayFile {
  readonly info: NpyInfo;
  readonly descr: NpyDescr;
  readonly length: number;
  private readonly file: RandomAccessFile;
  private readonly pages: PagedReader;
  private readonly itemBytes: number;

  constructor(readonly path: string) {
    this.file = new RandomAccessFile(path);
    try {
      this.info = readNpyInfo(this.file);
      if (!Object.hasOwn(NPY_ITEM_BYTES, this.info.descr)) {
        throw new DataFormatError(
          path,
          "npy descr",
          10,
          `expected '<i4', '<u4' or '<i8', got '${this.info.descr}'`,
        );
      }
      if (this.info.fortranOrder && this.info.shape.length > 1) {
        throw new DataFormatError(path, "npy fortran_order", 10, "expected C order");
      }
      this.descr = this.info.descr as NpyDescr;
      this.itemBytes = NPY_ITEM_BYTES[this.descr];
      this.length = this.info.shape.reduce((a, b) => a * b, 1);
      const need = this.info.dataOffset + this.length * this.itemBytes;
      if (this.file.size !== need) {
        throw new DataFormatError(
          path,
          "npy data",
          Math.min(this.file.size, need),
          `shape (${this.info.shape.join(", ")}) of ${this.descr} needs ${need} bytes, the file has ${this.file.size}`,
        );
      }
    } catch (e) {
      this.file.close();
      throw e;
    }
    this.pages = new PagedReader(this.file, 65536, 32);
  }

  /** Element i of the flattened array. */
  at(i: number): number {
    const pos = this.info.dataOffset + i * this.itemBytes;
    if (this.descr === "<i4") return this.pages.int32(pos, `element ${i}`);
    if (this.descr === "<u4") return this.pages.uint32(pos, `element ${i}`);
    return this.pages.int64(pos, `element ${i}`);
  }

  /** Reads elements [from, to) into a typed array (Float64Array for int64). */
  read(from = 0, to = this.length): IndexArray {
    const n = to - from;
    const bytes = this.file.read(
      n * this.itemBytes,
      this.info.dataOffset + from * this.itemBytes,
      "npy data",
    );
    if (this.descr === "<i4") return new Int32Array(bytes.buffer, 0, n);
    if (this.descr === "<u4") return new Uint32Array(bytes.buffer, 0, n);
    const out = new Float64Array(n);
    decodeInt64(bytes, n, out, 0);
    return out;
  }

  close(): void {
    this.file.close();
  }
}

export function loadNpy(path: string): { descr: NpyDescr; shape: number[]; data: IndexArray } {
  const f = new NpyArrayFile(path);
  try {
    return { descr: f.descr, shape: f.info.shape, data: f.read() };
  } finally {
    f.close();
  }
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}
