// Positional reads from a file descriptor. Node has no mmap, so a dataset is read with pread(2)-style calls
// (`fs.readSync(fd, buf, off, len, position)`): nothing is loaded whole, and positions are 64-bit safe up to
// 2^53 bytes because they are JS numbers.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { DataFormatError } from "./errors";

export class RandomAccessFile {
  readonly size: number;
  /** Number of pread calls and bytes read so far (lets tests and tools check the O(1) access claim). */
  reads = 0;
  bytesRead = 0;
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
    this.size = fstatSync(this.fd).size;
  }

  /** Reads exactly `length` bytes at `position` into `into` (at `intoOffset`); `field` names what is read. */
  readInto(into: Uint8Array, intoOffset: number, length: number, position: number, field: string): void {
    if (position < 0 || position + length > this.size) {
      throw new DataFormatError(
        this.path,
        field,
        position,
        `need ${length} bytes but the file has ${this.size} bytes (truncated or corrupt)`,
      );
    }
    this.reads++;
    this.bytesRead += length;
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, into, intoOffset + done, length - done, position + done);
      if (n === 0) throw new DataFormatError(this.path, field, position + done, "unexpected end of file");
      done += n;
    }
  }

  read(length: number, position: number, field: string): Uint8Array {
    // A fresh ArrayBuffer is 8-byte aligned, so callers can view the bytes as any typed array.
    const out = new Uint8Array(length);
    this.readInto(out, 0, length, position, field);
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Small LRU page cache over a RandomAccessFile for fixed-size element reads (sizes, pointers, index
 * arrays). A lookup costs at most one pread of `pageBytes`; sequential walks hit the cache.
 *
 * A hit only stamps the page with a counter; the least recently used page is found by scanning the
 * (at most `maxPages`) stamps when a miss must evict one, next to which the miss's pread dominates.
 * A random GPT2Dataset sample looks up about ten elements (shuffle/sample/doc idx, sizes, pointers),
 * nearly all hits: re-inserting the page into the Map on every hit to keep it in recency order cost
 * about 10% of the CPU time of a sample (the reads of bench/reads.ts: 6.1 -> 5.5 us per sample).
 */
export class PagedReader {
  private pages = new Map<number, { view: DataView; used: number }>();
  private clock = 0;

  constructor(
    readonly file: RandomAccessFile,
    private readonly pageBytes = 16384,
    private readonly maxPages = 64,
  ) {}

  private page(pageNo: number, field: string): DataView {
    const hit = this.pages.get(pageNo);
    if (hit) {
      hit.used = ++this.clock;
      return hit.view;
    }
    const start = pageNo * this.pageBytes;
    const len = Math.min(this.pageBytes, this.file.size - start);
    if (len <= 0) {
      throw new DataFormatError(
        this.file.path,
        field,
        start,
        `past the end of the ${this.file.size}-byte file`,
      );
    }
    const bytes = this.file.read(len, start, field);
    const view = new DataView(bytes.buffer, 0, len);
    if (this.pages.size >= this.maxPages) this.evictLeastRecent();
    this.pages.set(pageNo, { view, used: ++this.clock });
    return view;
  }

  private evictLeastRecent(): void {
    let oldest = -1;
    let oldestUse = Number.POSITIVE_INFINITY;
    for (const [no, p] of this.pages) {
      if (p.used < oldestUse) {
        oldestUse = p.used;
        oldest = no;
      }
    }
    this.pages.delete(oldest);
  }

  /**
   * The page view and offset of a little-endian element of `width` bytes at absolute byte `position`.
   * The .idx arrays start at byte 34, so an element may straddle two pages: that one is read directly.
   */
  private at(position: number, width: number, field: string): [DataView, number] {
    const pageNo = Math.floor(position / this.pageBytes);
    const view = this.page(pageNo, field);
    const off = position - pageNo * this.pageBytes;
    if (off + width <= view.byteLength) return [view, off];
    const bytes = this.file.read(width, position, field);
    return [new DataView(bytes.buffer), 0];
  }

  int32(position: number, field: string): number {
    const [v, o] = this.at(position, 4, field);
    return v.getInt32(o, true);
  }

  uint32(position: number, field: string): number {
    const [v, o] = this.at(position, 4, field);
    return v.getUint32(o, true);
  }

  /** int64 as a JS number; values beyond ±2^53 are reported as corrupt rather than silently rounded. */
  int64(position: number, field: string): number {
    const [v, o] = this.at(position, 8, field);
    const lo = v.getUint32(o, true);
    const hi = v.getInt32(o + 4, true);
    if (hi > 0x1fffff || hi < -0x200000) {
      throw new DataFormatError(this.file.path, field, position, `int64 value beyond 2^53 (high word ${hi})`);
    }
    return hi * 4294967296 + lo;
  }
}
