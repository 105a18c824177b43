// Writer for Megatron "mmap" indexed datasets, byte-identical to GPT-NeoX's MMapIndexedDatasetBuilder
// (neox-spec §2a): items are appended to PREFIX.bin, `endDocument` records a document boundary, and
// `finalize` writes PREFIX.idx (header, sizes, pointers, doc_idx).
//
// Durability. Both files are written under temporaries (temp-files.ts: `<final>.tmp-<pid>-<tag>`,
// removed at process exit unless committed, and removable by a later run once this pid is gone).
// `finalize` fsyncs each file's data, then renames the .bin into place and fsyncs the directory, then
// renames the .idx and fsyncs the directory again. The .idx goes last because it is the commit record:
// a reader opens the .idx first and finds every item through its pointers, so a new .idx must only
// become visible once the .bin it points into is complete and durable. A crash between the two
// renames leaves the new .bin beside the old .idx (or beside no .idx on a first write, which readers
// report as a missing dataset). That pair is detectable: the old .idx's last item ends at
// pointers[n-1] + sizes[n-1]·itemsize, which differs from the new .bin's length unless both runs
// wrote exactly as many bytes. Renaming the other way round would leave a new .idx whose pointers
// run past or into an old .bin, which a reader would trust.
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { endianness } from "node:os";
import { bestFittingDtype, type DType, INT_RANGES, ITEM_SIZES, type TokenArray } from "./dtypes";
import { encodeIdxHeader } from "./idx-header";
import { encodeInt64 } from "./int64";
import { commitTemp, discardTemp, tempPathFor } from "./temp-files";

export interface WriterOptions {
  /** Element type. Default: chosen from `vocabSize`, else int64 (GPT-NeoX's builder default). */
  dtype?: DType;
  /** The tokenizer's unpadded vocabulary size: uint16 below 65500, else int32 (GPT-NeoX `make_builder`). */
  vocabSize?: number;
}

const BUFFER_BYTES = 1 << 20;
const INT64_CHUNK = 1 << 16;

export class IndexedDatasetWriter {
  readonly dtype: DType;
  readonly binPath: string;
  readonly idxPath: string;
  private readonly itemSize: number;
  private readonly tmpBin: string;
  private readonly tmpIdx: string;
  private fd: number;
  private buf = new Uint8Array(BUFFER_BYTES);
  private used = 0;
  private sizes = new Int32Array(1024);
  private items = 0;
  private docIdx = new Float64Array(1024);
  private docs = 1; // doc_idx starts as [0]
  private finished = false;

  private constructor(
    readonly prefix: string,
    opts: WriterOptions,
  ) {
    if (endianness() !== "LE") throw new Error("@neox/data-mmap writes on little-endian hosts only");
    this.dtype = opts.dtype ?? (opts.vocabSize !== undefined ? bestFittingDtype(opts.vocabSize) : "int64");
    this.itemSize = ITEM_SIZES[this.dtype];
    this.binPath = `${prefix}.bin`;
    this.idxPath = `${prefix}.idx`;
    this.tmpBin = tempPathFor(this.binPath);
    this.tmpIdx = tempPathFor(this.idxPath);
    try {
      this.fd = openSync(this.tmpBin, "w");
    } catch (err) {
      discardTemp(this.tmpBin);
      discardTemp(this.tmpIdx);
      throw new Error(`${this.binPath}: cannot create the dataset (${(err as Error).message})`, {
        cause: err,
      });
    }
  }

  /** Starts PREFIX.bin/.idx (written under temporary names until `finalize`). */
  static create(prefix: string, opts: WriterOptions = {}): IndexedDatasetWriter {
    return new IndexedDatasetWriter(prefix, opts);
  }

  get itemCount(): number {
    return this.items;
  }

  get documentCount(): number {
    return this.docs - 1;
  }

  /** Appends one item (GPT-NeoX `add_item`). Values must fit the dtype; an empty item is allowed. */
  addItem(input: ArrayLike<number> | TokenArray): void {
    this.checkOpen();
    const tokens =
      input instanceof BigInt64Array && this.dtype !== "int64" ? Float64Array.from(input, Number) : input;
    const n = tokens.length;
    if (n > 2147483647)
      throw new RangeError(`${this.binPath}: item ${this.items} has ${n} elements; sizes are int32`);
    this.checkValues(tokens);
    let done = 0;
    while (done < n) {
      if (this.used === this.buf.byteLength) this.flush();
      const room = (this.buf.byteLength - this.used) / this.itemSize;
      const take = Math.min(room, n - done);
      this.encode(tokens, done, take);
      done += take;
    }
    if (this.items === this.sizes.length) this.sizes = grow(this.sizes);
    this.sizes[this.items++] = n;
  }

  /** Marks the end of a document (GPT-NeoX `end_document`: appends the item count to doc_idx). */
  endDocument(): void {
    this.checkOpen();
    if (this.docs === this.docIdx.length) this.docIdx = grow(this.docIdx);
    this.docIdx[this.docs++] = this.items;
  }

  /** `addItem(tokens)` then `endDocument()`: one item per document, as preprocess_data writes. */
  addDocument(tokens: ArrayLike<number> | TokenArray): void {
    this.addItem(tokens);
    this.endDocument();
  }

  /**
   * Writes PREFIX.idx, fsyncs both files, then renames the .bin and then the .idx into place, fsyncing
   * the directory after each (see the header for why in that order). On a failure both temporaries are
   * removed and PREFIX.bin/.idx are left as they were.
   */
  finalize(): void {
    this.checkOpen();
    try {
      this.flush();
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      this.writeIdx();
    } catch (err) {
      this.abort();
      throw err;
    }
    commitTemp(this.tmpBin, this.binPath, true);
    commitTemp(this.tmpIdx, this.idxPath, true);
    this.finished = true;
  }

  private writeIdx(): void {
    const fd = openSync(this.tmpIdx, "w");
    try {
      writeAll(fd, encodeIdxHeader(this.dtype, this.items, this.docs));
      writeAll(fd, new Uint8Array(this.sizes.buffer, 0, 4 * this.items));
      // pointers[i] = Σ_{j<i} sizes[j]·itemsize, written in chunks as int64.
      const chunk = new Float64Array(INT64_CHUNK);
      const bytes = new Uint8Array(8 * INT64_CHUNK);
      let pointer = 0;
      for (let first = 0; first < this.items; first += INT64_CHUNK) {
        const n = Math.min(INT64_CHUNK, this.items - first);
        for (let k = 0; k < n; k++) {
          chunk[k] = pointer;
          pointer += this.sizes[first + k]! * this.itemSize;
        }
        encodeInt64(chunk, 0, n, bytes);
        writeAll(fd, bytes.subarray(0, 8 * n));
      }
      for (let first = 0; first < this.docs; first += INT64_CHUNK) {
        const n = Math.min(INT64_CHUNK, this.docs - first);
        encodeInt64(this.docIdx, first, first + n, bytes);
        writeAll(fd, bytes.subarray(0, 8 * n));
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Drops the temporary files without touching PREFIX.bin/.idx. */
  abort(): void {
    if (this.finished) return;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    discardTemp(this.tmpBin);
    discardTemp(this.tmpIdx);
    this.finished = true;
  }

  private encode(tokens: ArrayLike<number> | TokenArray, from: number, count: number): void {
    const at = this.used;
    const src = (tokens as { subarray?: unknown }).subarray
      ? (tokens as TokenArray).subarray(from, from + count)
      : Array.prototype.slice.call(tokens, from, from + count);
    const b = this.buf.buffer;
    switch (this.dtype) {
      case "uint8":
        new Uint8Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "int8":
        new Int8Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "int16":
        new Int16Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "uint16":
        new Uint16Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "int32":
        new Int32Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "float32":
        new Float32Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "float64":
        new Float64Array(b, at, count).set(src as ArrayLike<number>);
        break;
      case "int64":
        if (src instanceof BigInt64Array) new BigInt64Array(b, at, count).set(src);
        else encodeInt64(src as ArrayLike<number>, 0, count, new Uint8Array(b, at, 8 * count));
        break;
    }
    this.used += count * this.itemSize;
  }

  private checkValues(tokens: ArrayLike<number> | TokenArray): void {
    const range = INT_RANGES[this.dtype];
    if (!range || tokens instanceof BigInt64Array) return;
    const [lo, hi] = range;
    for (let k = 0; k < tokens.length; k++) {
      const v = tokens[k] as number;
      if (!(v >= lo && v <= hi) || !Number.isInteger(v)) {
        this.abort();
        throw new RangeError(
          `${this.binPath}: item ${this.items} element ${k} is ${v}, which does not fit ${this.dtype} [${lo}, ${hi}]` +
            (this.dtype === "uint16"
              ? " (uint16 is chosen for vocabularies below 65500; pass a larger vocabSize or dtype int32)"
              : ""),
        );
      }
    }
  }

  private flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private checkOpen(): void {
    if (this.finished) throw new Error(`${this.prefix}: writer already finalized or aborted`);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}

function grow<T extends Int32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
