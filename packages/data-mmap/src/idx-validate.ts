// One streaming pass over a .idx that checks what the format fixes (neox-spec §2a), so a corrupt index
// is reported when the dataset is opened for a build or inspected, not when the bad item is first read:
//   sizes[i] >= 0
//   pointers[0] = 0 and pointers[i] = pointers[i-1] + sizes[i-1]·itemsize (GPT-NeoX's builder writes the
//     running sum; Megatron-core's too), so pointers are monotonic and items neither overlap nor leave gaps
//   pointers[len-1] + sizes[len-1]·itemsize <= .bin length (bytes past it are noted, not an error)
//   doc_idx[0] = 0, doc_idx non-decreasing, every entry in [0, len]
// The arrays are read in chunks of CHUNK_ITEMS elements, so memory stays at 12 MiB (then 8) whatever the index
// size (plus the sizes array itself when the caller wants it kept). A corrupt element is reported once:
// the next pointer is checked against the previous pointer as found, not against the running sum, and a
// pointer that disagrees with both neighbours is named as the outlier.
import { DataFormatError } from "./errors";
import type { IdxHeader } from "./idx-header";
import type { RandomAccessFile } from "./random-access-file";

export interface IdxValidation {
  /** The problems found, in file order; at most MAX_LISTED_PROBLEMS of them. */
  problems: DataFormatError[];
  /** All problems found (more than `problems.length` when the list was cut). */
  problemCount: number;
  /** Facts that are not errors: bytes after the last item, items after doc_idx's last entry. */
  notes: string[];
}

export const MAX_LISTED_PROBLEMS = 100;
const CHUNK_ITEMS = 1 << 20;
const TWO_32 = 4294967296;
const INT32_MAX = 2147483647;

interface Files {
  idx: RandomAccessFile;
  binPath: string;
  binBytes: number;
}

class ProblemList {
  readonly problems: DataFormatError[] = [];
  count = 0;
  constructor(private readonly path: string) {}
  add(field: string, offset: number, detail: string): void {
    this.count++;
    if (this.problems.length < MAX_LISTED_PROBLEMS) {
      this.problems.push(new DataFormatError(this.path, field, offset, detail));
    }
  }
}

/** int64 from two little-endian int32 words, or NaN beyond ±2^53 (not exactly representable). */
function int64At(words: Int32Array, k: number): number {
  const hi = words[2 * k + 1]!;
  if (hi > 0x1fffff || hi < -0x200000) return Number.NaN;
  return hi * TWO_32 + (words[2 * k]! >>> 0);
}

/**
 * Checks sizes, pointers and doc_idx of an index whose header already parsed. When `sizesOut` (length
 * `len`) is given, the sizes array is read into it on the way, so a caller that needs it reads it once.
 */
export function validateIdx(
  files: Files,
  h: IdxHeader,
  itemSize: number,
  sizesOut?: Int32Array,
): IdxValidation {
  const list = new ProblemList(files.idx.path);
  const notes: string[] = [];
  const end = checkSizesAndPointers(files, h, itemSize, list, sizesOut);
  if (h.length > 0 && Number.isFinite(end)) {
    if (end > files.binBytes) {
      const last = h.length - 1;
      list.add(
        `sizes[${last}]`,
        h.sizesOffset + 4 * last,
        `the last item ends at byte ${end} of ${files.binPath} (pointers[${last}] + sizes[${last}]·${itemSize}), which has ${files.binBytes} bytes (truncated?)`,
      );
    } else if (end < files.binBytes) {
      notes.push(
        `${files.binPath} has ${files.binBytes - end} bytes after the last item (which ends at byte ${end}); they are never read`,
      );
    }
  }
  checkDocIdx(files.idx, h, list, notes);
  return { problems: list.problems, problemCount: list.count, notes };
}

/** Returns where the last item ends in the .bin (NaN when the last pointer is unreadable). */
function checkSizesAndPointers(
  files: Files,
  h: IdxHeader,
  itemSize: number,
  list: ProblemList,
  sizesOut?: Int32Array,
): number {
  const sizeBuf = sizesOut ? undefined : new Int32Array(Math.min(CHUNK_ITEMS, h.length));
  const ptrBytes = new Uint8Array(8 * Math.min(CHUNK_ITEMS, h.length));
  const ptrWords = new Int32Array(ptrBytes.buffer);
  const sizeAt = (i: number): number => h.sizesOffset + 4 * i;
  const ptrAt = (i: number): number => h.pointersOffset + 8 * i;

  // The mismatch found at item `at` (pointers[at] != pointers[at-1] + sizes[at-1]·itemsize), kept until
  // the next pointer says whether pointers[at] is an outlier or sizes[at-1] is wrong.
  let pending: { at: number; prevP: number; prevS: number; expected: number; found: number } | null = null;
  const resolveAlone = (m: NonNullable<typeof pending>): void => {
    const gap = m.found - m.prevP;
    if (m.prevS >= 0 && gap >= 0 && gap % itemSize === 0 && gap / itemSize <= INT32_MAX) {
      list.add(
        `sizes[${m.at - 1}]`,
        sizeAt(m.at - 1),
        `expected ${gap / itemSize} (pointers[${m.at}] − pointers[${m.at - 1}] = ${gap} bytes), found ${m.prevS}`,
      );
    } else {
      list.add(
        `pointers[${m.at}]`,
        ptrAt(m.at),
        `expected ${m.expected} (pointers[${m.at - 1}] + sizes[${m.at - 1}]·${itemSize}: pointers are the running sum of the sizes), found ${m.found}`,
      );
    }
  };

  let prevP = 0;
  let prevS = 0;
  for (let first = 0; first < h.length; first += CHUNK_ITEMS) {
    const n = Math.min(CHUNK_ITEMS, h.length - first);
    const sizes = sizesOut ? sizesOut.subarray(first, first + n) : sizeBuf!.subarray(0, n);
    files.idx.readInto(
      new Uint8Array(sizes.buffer, sizes.byteOffset, 4 * n),
      0,
      4 * n,
      sizeAt(first),
      "sizes",
    );
    files.idx.readInto(ptrBytes, 0, 8 * n, ptrAt(first), "pointers");
    for (let k = 0; k < n; k++) {
      const i = first + k;
      const s = sizes[k]!;
      const p = int64At(ptrWords, k);
      if (s < 0) list.add(`sizes[${i}]`, sizeAt(i), `expected a size >= 0, found ${s}`);
      if (Number.isNaN(p)) {
        const hi = ptrWords[2 * k + 1]!;
        list.add(`pointers[${i}]`, ptrAt(i), `int64 value beyond 2^53 (high word ${hi}), not a byte offset`);
      } else if (i === 0) {
        if (p !== 0) {
          list.add("pointers[0]", ptrAt(0), `expected 0 (the first item starts the .bin), found ${p}`);
          prevP = 0; // checked against where it should be, so pointers[1] is not blamed too
          prevS = s;
          continue;
        }
      } else if (!Number.isNaN(prevP) && prevS >= 0) {
        const expected = prevP + prevS * itemSize;
        if (p !== expected) {
          if (pending && pending.at === i - 1 && p === pending.prevP + (pending.prevS + prevS) * itemSize) {
            // pointers[i-1] disagrees with both neighbours, which agree with each other: it is the outlier.
            list.add(
              `pointers[${i - 1}]`,
              ptrAt(i - 1),
              `expected ${pending.expected} (pointers[${i - 2}] + sizes[${i - 2}]·${itemSize}: pointers are the running sum of the sizes), found ${pending.found}`,
            );
            pending = null;
          } else {
            if (pending) resolveAlone(pending);
            pending = { at: i, prevP, prevS, expected, found: p };
          }
        } else if (pending) {
          resolveAlone(pending);
          pending = null;
        }
      }
      if (pending && pending.at !== i) {
        resolveAlone(pending);
        pending = null;
      }
      prevP = p;
      prevS = s;
    }
  }
  if (pending) resolveAlone(pending);
  return h.length > 0 && prevS >= 0 ? prevP + prevS * itemSize : Number.NaN;
}

function checkDocIdx(idx: RandomAccessFile, h: IdxHeader, list: ProblemList, notes: string[]): void {
  if (h.docCount === 0) {
    list.add("doc_idx", h.docIdxOffset, "expected at least the entry doc_idx[0] = 0, found an empty array");
    return;
  }
  const bytes = new Uint8Array(8 * Math.min(CHUNK_ITEMS, h.docCount));
  const words = new Int32Array(bytes.buffer);
  const at = (k: number): number => h.docIdxOffset + 8 * k;
  let prev = 0; // the last entry in range, doc_idx[prevK]
  let prevK = 0;
  for (let first = 0; first < h.docCount; first += CHUNK_ITEMS) {
    const n = Math.min(CHUNK_ITEMS, h.docCount - first);
    idx.readInto(bytes, 0, 8 * n, at(first), "doc_idx");
    for (let j = 0; j < n; j++) {
      const k = first + j;
      const d = int64At(words, j);
      if (k === 0 && d !== 0) {
        list.add(
          "doc_idx[0]",
          at(0),
          `expected 0 (the first document starts at item 0), found ${show(d, words, j)}`,
        );
      } else if (!(d >= 0 && d <= h.length)) {
        // An outlier: the next entry is compared with the last one in range.
        list.add(
          `doc_idx[${k}]`,
          at(k),
          `expected an item index in [0, ${h.length}], found ${show(d, words, j)}`,
        );
      } else {
        if (d < prev) {
          list.add(
            `doc_idx[${k}]`,
            at(k),
            `expected >= doc_idx[${prevK}] = ${prev} (documents start in item order), found ${d}`,
          );
        }
        prev = d;
        prevK = k;
      }
    }
  }
  if (list.count === 0 && prev < h.length) {
    notes.push(
      `doc_idx ends at item ${prev} of ${h.length}: items from ${prev} on belong to no document (GPT-NeoX's merge_file_ writes such indexes; the sample order does not read doc_idx)`,
    );
  }
}

function show(d: number, words: Int32Array, j: number): string {
  return Number.isNaN(d) ? `an int64 beyond 2^53 (high word ${words[2 * j + 1]})` : String(d);
}
