// .npy arrays (numpy/lib/format.py): a header (npy-header.ts) then the raw C-order data. NpyWriter streams
// an array to a temporary file (temp-files.ts: removed at exit unless committed, stale ones of dead
// processes removable) and renames it into place; NpyArrayFile reads one element by element through a
// page cache, as GPT-NeoX reads its index caches with np.load(mmap_mode="r").
import { closeSync, openSync, writeSync } from "node:fs";
import { DataFormatError } from "./errors";
import { decodeInt64, encodeInt64 } from "./int64";
import { NPY_ITEM_BYTES, type NpyDescr, type NpyInfo, npyHeader, readNpyInfo } from "./npy-header";
import { PagedReader, type RandomAccessFile } from "./random-access-file";
import { openRegularFile } from "./regular-file";
import { commitTemp, discardTemp, tempPathFor } from "./temp-files";

export {
  NPY_ITEM_BYTES,
  NPY_MAX_HEADER_BYTES,
  type NpyDescr,
  type NpyInfo,
  npyHeader,
  readNpyInfo,
} from "./npy-header";
export type IndexArray = Int32Array | Uint32Array | Float64Array;

const CHUNK = 1 << 16;

/**
 * Writes an .npy file from chunks, under a temporary name renamed into place by `close`. For arrays too
 * large to hold twice (a Pythia-scale sample_idx is 1.2 GB), rows are appended as they are computed.
 */
export class NpyWriter {
  private fd = -1;
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
    this.tmp = tempPathFor(path);
    try {
      this.fd = openSync(this.tmp, "w");
      writeAllSync(this.fd, npyHeader(descr, shape));
    } catch (e) {
      this.abort();
      throw e;
    }
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

  /** Completes the file under its temporary name (see `commit`); throws if elements are missing. */
  finish(): void {
    if (this.written !== this.expected) {
      this.abort();
      throw new Error(`${this.path}: wrote ${this.written} of ${this.expected} elements`);
    }
    // No fsync: index caches are regenerable and checked (dtype, shape, size) before reuse, and syncing
    // 1.8 GB of Pythia-scale caches costs over a minute on a busy disk. The rename still makes a
    // half-written file invisible under the final name.
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Renames the finished file into place. */
  commit(): void {
    commitTemp(this.tmp, this.path, false);
  }

  /** `finish` then `commit`. */
  close(): void {
    this.finish();
    this.commit();
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    discardTemp(this.tmp);
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
    this.file = openRegularFile(path);
    try {
      this.info = readNpyInfo(this.file);
      const { descr, shape, count, dataOffset } = this.info;
      if (!Object.hasOwn(NPY_ITEM_BYTES, descr)) {
        throw new DataFormatError(path, "npy descr", 10, `expected '<i4', '<u4' or '<i8', got '${descr}'`);
      }
      if (this.info.fortranOrder && shape.length > 1) {
        throw new DataFormatError(path, "npy fortran_order", 10, "expected C order (False) for a 2-D array");
      }
      this.descr = descr as NpyDescr;
      this.itemBytes = NPY_ITEM_BYTES[this.descr];
      this.length = count;
      const need = dataOffset + count * this.itemBytes;
      if (this.file.size !== need) {
        throw new DataFormatError(
          path,
          "npy data",
          Math.min(this.file.size, need),
          `shape (${shape.join(", ")}) of ${descr} needs ${need} bytes, the file has ${this.file.size}`,
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
    if (!(i >= 0 && i < this.length))
      throw new RangeError(`${this.path}: element ${i} out of range [0, ${this.length})`);
    const pos = this.info.dataOffset + i * this.itemBytes;
    if (this.descr === "<i4") return this.pages.int32(pos, `element ${i}`);
    if (this.descr === "<u4") return this.pages.uint32(pos, `element ${i}`);
    return this.pages.int64(pos, `element ${i}`);
  }

  /** Reads elements [from, to) into a typed array (Float64Array for int64). */
  read(from = 0, to = this.length): IndexArray {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= this.length)) {
      throw new RangeError(`${this.path}: elements [${from}, ${to}) out of range [0, ${this.length})`);
    }
    const n = to - from;
    const at = this.info.dataOffset + from * this.itemBytes;
    const bytes = this.file.read(n * this.itemBytes, at, "npy data");
    if (this.descr === "<i4") return new Int32Array(bytes.buffer, 0, n);
    if (this.descr === "<u4") return new Uint32Array(bytes.buffer, 0, n);
    const out = new Float64Array(n);
    const bad = decodeInt64(bytes, n, out, 0);
    if (bad >= 0) {
      throw new DataFormatError(this.path, `element ${from + bad}`, at + 8 * bad, "int64 value beyond 2^53");
    }
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
