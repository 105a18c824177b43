// Reader for Megatron "mmap" indexed datasets (PREFIX.bin + PREFIX.idx), neox-spec §2a.
//
// Memory: opening reads the 34-byte header and five elements of the arrays (the quick checks below),
// nothing more. `get` reads the item's pointer and size through a small page cache and then exactly the
// requested bytes of the .bin, so a sample costs O(1) reads whatever the dataset size. `sizes()` (needed to
// build a GPT2Dataset index, as GPT-NeoX's `indexed_dataset.sizes`) loads the 4·len-byte sizes array into
// an ArrayBuffer, whose backing store lives outside the V8 heap; it is read in 16 MiB chunks and only when
// asked for.
//
// Checks: `open` always parses the header, checks the .idx length against its counts, and reads
// pointers[0], the last pointer and size, doc_idx[0] and the last doc_idx entry (six small reads, 0.3 ms).
// `validate()` is the full streaming pass of idx-validate.ts (every size, pointer and doc_idx entry):
// 0.22 s of CPU for a 10M-document index (200 MB .idx, warm page cache), against 0.04 s to read its sizes,
// which an index build needs anyway. GPT2Dataset.build runs it before any index is built or cached;
// `neox data inspect` lists what it finds. Random access alone (no build) keeps the O(1) open.
import { endianness } from "node:os";
import { type DType, ITEM_SIZES, type TokenArray, viewAs } from "./dtypes";
import { DataFormatError } from "./errors";
import { IDX_HEADER_BYTES, type IdxHeader, parseIdxHeader } from "./idx-header";
import { type IdxValidation, validateIdx } from "./idx-validate";
import { PagedReader, type RandomAccessFile } from "./random-access-file";
import { openRegularFile } from "./regular-file";

export interface OpenOptions {
  /**
   * "quick" (default): header, .idx length and the O(1) checks of the first and last elements.
   * "full": also the whole streaming pass (`checkValid`). "header": the header and .idx length only, for
   * tools that list every problem with `validate()` instead of stopping at the first.
   */
  verify?: "header" | "quick" | "full";
}

const CHUNK_BYTES = 16 << 20;

export class IndexedDataset {
  readonly idxPath: string;
  readonly binPath: string;
  readonly dtype: DType;
  readonly itemSize: number;
  /** Number of items (GPT-NeoX `len(dataset)`; one item per document when written by preprocess_data). */
  readonly length: number;
  /** Length of the doc_idx array (documents + 1). */
  readonly docCount: number;
  private readonly header: IdxHeader;
  private readonly idx: RandomAccessFile;
  private readonly bin: RandomAccessFile;
  private readonly pages: PagedReader;
  private sizesCache: Int32Array | undefined;
  private validation: IdxValidation | undefined;
  private scratch = new Uint8Array(1 << 16);

  private constructor(
    readonly prefix: string,
    verify: NonNullable<OpenOptions["verify"]>,
  ) {
    if (endianness() !== "LE")
      throw new Error("@neox/data-mmap reads little-endian files on little-endian hosts only");
    this.idxPath = `${prefix}.idx`;
    this.binPath = `${prefix}.bin`;
    this.idx = openOrExplain(this.idxPath, prefix);
    try {
      this.bin = openOrExplain(this.binPath, prefix);
    } catch (e) {
      this.idx.close();
      throw e;
    }
    try {
      const head = this.idx.read(Math.min(IDX_HEADER_BYTES, this.idx.size), 0, "header");
      this.header = parseIdxHeader(head, this.idxPath, this.idx.size);
      this.dtype = this.header.dtype;
      this.itemSize = ITEM_SIZES[this.dtype];
      this.length = this.header.length;
      this.docCount = this.header.docCount;
      this.pages = new PagedReader(this.idx);
      if (verify !== "header") this.quickChecks();
      if (verify === "full") this.checkValid();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Opens PREFIX.idx and PREFIX.bin (the prefix is the path without the extension, as in GPT-NeoX).
   * Throws DataFormatError for a header, length or quick check that fails (see OpenOptions).
   */
  static open(prefix: string, options: OpenOptions = {}): IndexedDataset {
    return new IndexedDataset(prefix.replace(/\.(bin|idx)$/, ""), options.verify ?? "quick");
  }

  /**
   * The O(1) checks: the first item starts the .bin, the last one ends inside it (a truncated .bin),
   * doc_idx starts at 0 and ends inside the items. Each reads one element directly (no page cache), so
   * opening stays a handful of small reads.
   */
  private quickChecks(): void {
    const h = this.header;
    const int64 = (at: number, field: string): number => {
      const bytes = this.idx.read(8, at, field);
      const v = new DataView(bytes.buffer);
      const hi = v.getInt32(4, true);
      if (hi > 0x1fffff || hi < -0x200000)
        throw new DataFormatError(this.idxPath, field, at, `int64 value beyond 2^53 (high word ${hi})`);
      return hi * 4294967296 + v.getUint32(0, true);
    };
    if (this.length > 0) {
      const p0 = int64(h.pointersOffset, "pointers[0]");
      if (p0 !== 0)
        throw new DataFormatError(this.idxPath, "pointers[0]", h.pointersOffset, `expected 0, found ${p0}`);
      // The last item must end inside the .bin: catches a truncated .bin without reading it.
      const last = this.length - 1;
      const at = h.sizesOffset + 4 * last;
      const size = new DataView(this.idx.read(4, at, `sizes[${last}]`).buffer).getInt32(0, true);
      if (size < 0)
        throw new DataFormatError(this.idxPath, `sizes[${last}]`, at, `expected a size >= 0, got ${size}`);
      const end = int64(h.pointersOffset + 8 * last, `pointers[${last}]`) + size * this.itemSize;
      if (end > this.bin.size) {
        throw new DataFormatError(
          this.binPath,
          `item ${last} (pointers[${last}] + sizes[${last}]·${this.itemSize})`,
          end,
          `the last item ends at byte ${end} but the .bin has ${this.bin.size} bytes (truncated?)`,
        );
      }
    }
    if (this.docCount === 0) {
      throw new DataFormatError(
        this.idxPath,
        "doc_idx",
        h.docIdxOffset,
        "expected at least doc_idx[0] = 0, found none",
      );
    }
    const d0 = int64(h.docIdxOffset, "doc_idx[0]");
    if (d0 !== 0)
      throw new DataFormatError(this.idxPath, "doc_idx[0]", h.docIdxOffset, `expected 0, found ${d0}`);
    const k = this.docCount - 1;
    const dk = int64(h.docIdxOffset + 8 * k, `doc_idx[${k}]`);
    if (!(dk >= 0 && dk <= this.length)) {
      throw new DataFormatError(
        this.idxPath,
        `doc_idx[${k}]`,
        h.docIdxOffset + 8 * k,
        `expected an item index in [0, ${this.length}], found ${dk}`,
      );
    }
  }

  /**
   * The full streaming pass over the index (idx-validate.ts): every problem found, up to 100 listed, and
   * notes such as trailing .bin bytes. Memoised; keeps the sizes array it reads, so `sizes()` is free after.
   */
  validate(): IdxValidation {
    if (!this.validation) {
      const sizes = new Int32Array(this.length);
      this.validation = validateIdx(
        { idx: this.idx, binPath: this.binPath, binBytes: this.bin.size },
        this.header,
        this.itemSize,
        sizes,
      );
      if (this.validation.problemCount === 0) this.sizesCache = sizes;
    }
    return this.validation;
  }

  /** Runs `validate()` and throws its first problem (saying how many more there are). */
  checkValid(): void {
    const v = this.validate();
    const first = v.problems[0];
    if (!first) return;
    const more = v.problemCount - 1;
    throw more === 0
      ? first
      : new DataFormatError(
          first.file,
          first.field,
          first.offset,
          `${first.detail} (and ${more} more problem${more === 1 ? "" : "s"} in this index)`,
        );
  }

  /** Number of tokens (elements) of item i. */
  size(i: number): number {
    this.checkItem(i);
    const at = this.header.sizesOffset + 4 * i;
    const s = this.pages.int32(at, `sizes[${i}]`);
    if (s < 0) throw new DataFormatError(this.idxPath, `sizes[${i}]`, at, `expected a size >= 0, got ${s}`);
    return s;
  }

  /** Byte offset of item i in the .bin. */
  pointer(i: number): number {
    this.checkItem(i);
    const at = this.header.pointersOffset + 8 * i;
    const p = this.pages.int64(at, `pointers[${i}]`);
    if (p < 0 || p % this.itemSize !== 0) {
      throw new DataFormatError(
        this.idxPath,
        `pointers[${i}]`,
        at,
        `expected a non-negative multiple of the item size ${this.itemSize}, got ${p}`,
      );
    }
    return p;
  }

  /** Item i, or `length` elements of it starting at element `offset` (GPT-NeoX `get(idx, offset, length)`). */
  get(i: number, offset = 0, length?: number): TokenArray {
    const [pos, n] = this.span(i, offset, length);
    return viewAs(this.dtype, this.bin.read(n * this.itemSize, pos, `item ${i} in ${this.binPath}`));
  }

  /**
   * Copies elements [offset, offset+length) of item i into `out` at `outOffset` as int32 token ids; returns
   * the number copied. Reuses one scratch buffer, so a sample is assembled without per-item allocations.
   */
  readTokens(
    i: number,
    offset: number,
    length: number | undefined,
    out: Int32Array,
    outOffset: number,
  ): number {
    const [pos, n] = this.span(i, offset, length);
    const bytes = n * this.itemSize;
    if (this.scratch.byteLength < bytes)
      this.scratch = new Uint8Array(Math.max(bytes, 2 * this.scratch.byteLength));
    this.bin.readInto(this.scratch, 0, bytes, pos, `item ${i}`);
    const view = viewAs(this.dtype, this.scratch.subarray(0, bytes));
    if (view instanceof BigInt64Array) {
      for (let k = 0; k < n; k++) {
        const v = view[k]!;
        if (v > 2147483647n || v < -2147483648n) {
          throw new DataFormatError(
            this.binPath,
            `item ${i} element ${offset + k}`,
            pos + 8 * k,
            `token ${v} beyond int32`,
          );
        }
        out[outOffset + k] = Number(v);
      }
    } else if (view instanceof Float32Array || view instanceof Float64Array) {
      throw new Error(`${this.binPath}: dtype ${this.dtype} holds floats, not token ids`);
    } else {
      out.set(view, outOffset);
    }
    return n;
  }

  private span(i: number, offset: number, length: number | undefined): [number, number] {
    const size = this.size(i);
    const n = length ?? size - offset;
    if (!Number.isInteger(offset) || !Number.isInteger(n) || offset < 0 || n < 0 || offset + n > size) {
      throw new RangeError(
        `${this.prefix}: item ${i} has ${size} elements; cannot read ${n} from element ${offset}`,
      );
    }
    const pos = this.pointer(i) + offset * this.itemSize;
    if (pos + n * this.itemSize > this.bin.size) {
      throw new DataFormatError(
        this.binPath,
        `item ${i}`,
        pos,
        `pointers[${i}] and sizes[${i}] point past the end of the ${this.bin.size}-byte .bin`,
      );
    }
    return [pos, n];
  }

  /** The whole sizes array (int32[len]); loaded once, in chunks, into off-heap memory. */
  sizes(): Int32Array {
    if (this.sizesCache) return this.sizesCache;
    const out = new Int32Array(this.length);
    const bytes = new Uint8Array(out.buffer);
    for (let done = 0; done < bytes.byteLength; done += CHUNK_BYTES) {
      const n = Math.min(CHUNK_BYTES, bytes.byteLength - done);
      this.idx.readInto(bytes, done, n, this.header.sizesOffset + done, "sizes");
    }
    for (let i = 0; i < out.length; i++) {
      if (out[i]! < 0) {
        throw new DataFormatError(
          this.idxPath,
          `sizes[${i}]`,
          this.header.sizesOffset + 4 * i,
          `negative size ${out[i]}`,
        );
      }
    }
    this.sizesCache = out;
    return out;
  }

  /** Calls `fn` with consecutive chunks of the sizes array without keeping them (for statistics). */
  forEachSizesChunk(fn: (chunk: Int32Array, firstItem: number) => void, chunkItems = 1 << 22): void {
    for (let first = 0; first < this.length; first += chunkItems) {
      const n = Math.min(chunkItems, this.length - first);
      const bytes = this.idx.read(4 * n, this.header.sizesOffset + 4 * first, "sizes");
      fn(new Int32Array(bytes.buffer, 0, n), first);
    }
  }

  /** The document index (int64[doc_count]) as numbers: item indices where documents start. */
  docIdx(): Float64Array {
    const out = new Float64Array(this.docCount);
    for (let i = 0; i < this.docCount; i++) {
      out[i] = this.pages.int64(this.header.docIdxOffset + 8 * i, `doc_idx[${i}]`);
    }
    return out;
  }

  /** pread calls and bytes read from each file so far. */
  ioStats(): { idx: { reads: number; bytes: number }; bin: { reads: number; bytes: number } } {
    return {
      idx: { reads: this.idx.reads, bytes: this.idx.bytesRead },
      bin: { reads: this.bin.reads, bytes: this.bin.bytesRead },
    };
  }

  /** Size of the .bin in bytes. */
  get binBytes(): number {
    return this.bin.size;
  }

  get idxBytes(): number {
    return this.idx.size;
  }

  close(): void {
    this.idx.close();
    this.bin.close();
  }

  private checkItem(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`${this.prefix}: item ${i} out of range [0, ${this.length})`);
    }
  }
}

function openOrExplain(path: string, prefix: string): RandomAccessFile {
  try {
    return openRegularFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(
        `${path}: not found. A dataset prefix names two files, ${prefix}.bin and ${prefix}.idx (give the path without the extension).`,
      );
    }
    throw e;
  }
}
