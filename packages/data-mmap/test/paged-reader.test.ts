// PagedReader: element values across and within pages, and least-recently-used eviction counted in
// preads (RandomAccessFile.reads), since the random-read rate depends on hits costing no read.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PagedReader, RandomAccessFile } from "../src/random-access-file";

const tmp = mkdtempSync(join(tmpdir(), "neox-paged-reader-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PAGE = 64;
const PAGES = 6;

/** A file of int32 i at byte 4·i, PAGES pages of PAGE bytes. */
function file(): RandomAccessFile {
  const values = new Int32Array((PAGES * PAGE) / 4).map((_, i) => i);
  const path = join(tmp, `ints-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, new Uint8Array(values.buffer));
  return new RandomAccessFile(path);
}

/** Reads one element of page `p` and returns the preads it cost. */
function touch(r: PagedReader, f: RandomAccessFile, p: number): number {
  const before = f.reads;
  expect(r.int32(p * PAGE + 8, "x")).toBe((p * PAGE + 8) / 4);
  return f.reads - before;
}

describe("PagedReader", () => {
  it("reads each value, including one that straddles two pages", () => {
    const f = file();
    const r = new PagedReader(f, PAGE, 2);
    for (let i = 0; i < (PAGES * PAGE) / 4; i++) expect(r.int32(4 * i, `v[${i}]`)).toBe(i);
    // Bytes PAGE-2 .. PAGE+1: the high half of element PAGE/4-1 and the low half of element PAGE/4.
    const lo = (PAGE / 4 - 1) >>> 16;
    const hi = (PAGE / 4) & 0xffff;
    expect(r.int32(PAGE - 2, "straddle")).toBe(lo | (hi << 16));
    f.close();
  });

  it("a hit costs no read; a miss evicts the least recently used page, not the oldest loaded", () => {
    const f = file();
    const r = new PagedReader(f, PAGE, 3);
    expect([0, 1, 2].map((p) => touch(r, f, p))).toEqual([1, 1, 1]);
    expect(touch(r, f, 0)).toBe(0); // page 0 is now the most recent; page 1 the least
    expect(touch(r, f, 3)).toBe(1); // evicts page 1 (a FIFO would evict page 0)
    expect(touch(r, f, 0)).toBe(0);
    expect(touch(r, f, 2)).toBe(0);
    expect(touch(r, f, 1)).toBe(1); // evicts page 3, the least recent of {0, 2, 3}
    expect(touch(r, f, 3)).toBe(1);
    f.close();
  });

  it("holds at most maxPages pages: a cyclic walk over one page more than fits always misses", () => {
    const f = file();
    const r = new PagedReader(f, PAGE, 4);
    let reads = 0;
    for (let round = 0; round < 3; round++) for (let p = 0; p < 5; p++) reads += touch(r, f, p);
    expect(reads).toBe(15);
    const fits = new PagedReader(f, PAGE, 5);
    reads = 0;
    for (let round = 0; round < 3; round++) for (let p = 0; p < 5; p++) reads += touch(fits, f, p);
    expect(reads).toBe(5);
    f.close();
  });
});
