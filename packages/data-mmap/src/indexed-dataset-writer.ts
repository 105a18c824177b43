// Writer for Megatron "mmap" indexed datasets, byte-identical to GPT-NeoX's MMapIndexedDatasetBuilder
// (neox-spec §2a): items are appended to PREFIX.bin, `endDocument` records a document boundary, and
// `finalize` writes PREFIX.idx (header, sizes, pointers, doc_idx).
//
// Durability. Both files are written under temporaries (temp-files.ts: `<final>.tmp-<pid>-<tag>`,
// removed at process exit unless committed, and removable by a later run once this pid is gone).
// `finalize` fsyncs each file's data, removes an old PREFIX.idx (fsyncing the directory), renames
// the .bin into place and fsyncs the directory, then renames the .idx and fsyncs the directory again.
// The .idx goes last because it is the commit record: a reader opens the .idx first and finds every
// item through its pointers, so a new .idx must only become visible once the .bin it points into is
// complete and durable. Removing the old .idx first means a crash at any point leaves either the old
// pair, or no .idx at all (readers report a missing dataset, and a rerun writes it again), or the new
// pair: never a new .bin beside an old .idx, whose pointers would be trusted into the wrong bytes.
// Renaming the other way round would leave a new .idx pointing past or into an old .bin.
//
// Memory does not grow with the dataset: the sizes go to the .idx temporary (from byte 34, where the
// format puts them) as items are added, doc_idx to a scratch temporary, each through a fixed buffer.
// `finalize` reads the sizes back to write the pointers, copies doc_idx after them, then writes the
// header. (Held in memory, they cost 12 bytes a document: 2.5 GB for the Pile's 210M documents.)
import { closeSync, existsSync, fsyncSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { endianness } from "node:os";
import { dirname } from "node:path";
import { bestFittingDtype, type DType, INT_RANGES, ITEM_SIZES, type TokenArray } from "./dtypes";
import { encodeIdxHeader, IDX_HEADER_BYTES } from "./idx-header";
import { encodeInt64 } from "./int64";
import { commitTemp, discardTemp, fsyncDir, tempPathFor } from "./temp-files";

export interface WriterOptions {
  /** Element type. Default: chosen from `vocabSize`, else int64 (GPT-NeoX's builder default). */
  dtype?: DType;
  /** The tokenizer's unpadded vocabulary size: uint16 below 65500, else int32 (GPT-NeoX `make_builder`). */
  vocabSize?: number;
}

const BUFFER_BYTES = 1 << 20;
/** Entries per buffered chunk of sizes (int32), pointers and doc_idx (int64). */
const INT64_CHUNK = 1 << 16;

export class IndexedDatasetWriter {
  readonly dtype: DType;
  readonly binPath: string;
  readonly idxPath: string;
  private readonly itemSize: number;
  private readonly tmpBin: string;
  private readonly tmpIdx: string;
  /** A second temporary of the .idx's name, so stale-temporary cleanup finds it too. */
  private readonly tmpDocs: string;
  private fd: number;
  private idxFd = -1;
  private docsFd = -1;
  private buf = new Uint8Array(BUFFER_BYTES);
  private used = 0;
  private readonly sizes = new Int32Array(INT64_CHUNK); // sizes not yet written to the .idx
  private sizesUsed = 0;
  private items = 0;
  private readonly docIdx = new Float64Array(INT64_CHUNK); // doc_idx entries not yet written
  private docsUsed = 0;
  private docs = 0; // doc_idx entries so far
  private readonly int64Bytes = new Uint8Array(8 * INT64_CHUNK);
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
    this.tmpDocs = tempPathFor(this.idxPath);
    this.fd = -1;
    try {
      this.fd = openSync(this.tmpBin, "w");
      this.idxFd = openSync(this.tmpIdx, "w+");
      writeAll(this.idxFd, new Uint8Array(IDX_HEADER_BYTES)); // the header is written last
      this.docsFd = openSync(this.tmpDocs, "w+");
    } catch (err) {
      this.abort();
      throw new Error(`${this.binPath}: cannot create the dataset (${(err as Error).message})`, {
        cause: err,
      });
    }
    this.pushDoc(0); // doc_idx starts as [0]
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
    this.sizes[this.sizesUsed++] = n;
    this.items++;
    if (this.sizesUsed === this.sizes.length) this.flushSizes();
  }

  /** Marks the end of a document (GPT-NeoX `end_document`: appends the item count to doc_idx). */
  endDocument(): void {
    this.checkOpen();
    this.pushDoc(this.items);
  }

  private pushDoc(itemCount: number): void {
    this.docIdx[this.docsUsed++] = itemCount;
    this.docs++;
    if (this.docsUsed === this.docIdx.length) this.flushDocs();
  }

  private flushSizes(): void {
    writeAll(this.idxFd, new Uint8Array(this.sizes.buffer, 0, 4 * this.sizesUsed));
    this.sizesUsed = 0;
  }

  private flushDocs(): void {
    encodeInt64(this.docIdx, 0, this.docsUsed, this.int64Bytes);
    writeAll(this.docsFd, this.int64Bytes.subarray(0, 8 * this.docsUsed));
    this.docsUsed = 0;
  }

  /** `addItem(tokens)` then `endDocument()`: one item per document, as preprocess_data writes. */
  addDocument(tokens: ArrayLike<number> | TokenArray): void {
    this.addItem(tokens);
    this.endDocument();
  }

  /**
   * Writes PREFIX.idx, fsyncs both files, removes an old PREFIX.idx, then renames the .bin and then the
   * .idx into place, fsyncing the directory after each step (see the header for why in that order). On a failure both temporaries are
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
    if (existsSync(this.idxPath)) {
      rmSync(this.idxPath, { force: true });
      fsyncDir(dirname(this.idxPath));
    }
    commitTemp(this.tmpBin, this.binPath, true);
    commitTemp(this.tmpIdx, this.idxPath, true);
    this.finished = true;
  }

  /** Completes the .idx temporary: pointers (from the sizes read back), doc_idx, then the header. */
  private writeIdx(): void {
    this.flushSizes();
    this.flushDocs();
    const fd = this.idxFd;
    const sizeBytes = new Uint8Array(4 * INT64_CHUNK);
    const sizes = new Int32Array(sizeBytes.buffer);
    const chunk = new Float64Array(INT64_CHUNK);
    const out = this.int64Bytes;
    // pointers[i] = Σ_{j<i} sizes[j]·itemsize, written in chunks as int64.
    let pointer = 0;
    for (let first = 0; first < this.items; first += INT64_CHUNK) {
      const n = Math.min(INT64_CHUNK, this.items - first);
      readAll(fd, sizeBytes, 4 * n, IDX_HEADER_BYTES + 4 * first);
      for (let k = 0; k < n; k++) {
        chunk[k] = pointer;
        pointer += sizes[k]! * this.itemSize;
      }
      encodeInt64(chunk, 0, n, out);
      writeAll(fd, out.subarray(0, 8 * n));
    }
    for (let at = 0; at < 8 * this.docs; at += out.length) {
      const n = Math.min(out.length, 8 * this.docs - at);
      readAll(this.docsFd, out, n, at);
      writeAll(fd, out.subarray(0, n));
    }
    const header = encodeIdxHeader(this.dtype, this.items, this.docs);
    for (let done = 0; done < header.length; )
      done += writeSync(fd, header, done, header.length - done, done);
    fsyncSync(fd);
    closeSync(fd);
    this.idxFd = -1;
    closeSync(this.docsFd);
    this.docsFd = -1;
    discardTemp(this.tmpDocs);
  }

  /** Drops the temporary files without touching PREFIX.bin/.idx. */
  abort(): void {
    if (this.finished) return;
    for (const fd of [this.fd, this.idxFd, this.docsFd]) if (fd >= 0) closeSync(fd);
    this.fd = this.idxFd = this.docsFd = -1;
    discardTemp(this.tmpBin);
    discardTemp(this.tmpIdx);
    discardTemp(this.tmpDocs);
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

/** Reads exactly `length` bytes at `position` into the start of `into` (pread: the offset stays). */
function readAll(fd: number, into: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) throw new Error(`short read of a temporary at byte ${position + done}`);
    done += n;
  }
}
