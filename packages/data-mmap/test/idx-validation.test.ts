// Corruption found when a dataset is opened or validated, not when the bad item is first read: each
// member of the class is a valid dataset written by IndexedDatasetWriter with one field made absurd, and
// the test checks the problem names the file, the field, the element, its byte offset and expected vs
// found; that `validate()` lists every problem; and that a build over a corrupt index writes nothing.
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DataFormatError,
  GPT2Dataset,
  IndexedDataset,
  IndexedDatasetWriter,
  MAX_LISTED_PROBLEMS,
  NpyArrayFile,
} from "../src/index";

const tmp = mkdtempSync(join(tmpdir(), "neox-idx-validate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SIZES = [5, 3, 0, 7, 2, 9, 4, 1, 6, 8];
let serial = 0;

/** A fresh uint16 dataset, one item per document; returns its prefix. */
function dataset(sizes: readonly number[] = SIZES): string {
  const prefix = join(mkdtempSync(join(tmp, "ds-")), `d${serial++}`);
  const w = IndexedDatasetWriter.create(prefix, { dtype: "uint16" });
  sizes.forEach((n, d) => {
    w.addDocument(Array.from({ length: n }, (_, k) => (d * 100 + k) % 65536));
  });
  w.finalize();
  return prefix;
}

/** Byte offsets of the arrays of an index with `len` items (neox-spec §2a). */
function layout(len: number): { sizes: number; pointers: number; docIdx: number } {
  return { sizes: 34, pointers: 34 + 4 * len, docIdx: 34 + 12 * len };
}

function patch(path: string, at: number, write: (v: DataView) => void): void {
  const b = readFileSync(path);
  write(new DataView(b.buffer, b.byteOffset + at));
  writeFileSync(path, b);
}

const setI32 = (p: string, at: number, v: number) => patch(p, at, (d) => d.setInt32(0, v, true));
const setI64 = (p: string, at: number, v: bigint) => patch(p, at, (d) => d.setBigInt64(0, v, true));

function problemsOf(prefix: string): DataFormatError[] {
  const ds = IndexedDataset.open(prefix, { verify: "header" });
  try {
    return ds.validate().problems;
  } finally {
    ds.close();
  }
}

describe("validate() on a valid dataset", () => {
  it("finds no problem, and the sizes it read are the sizes", () => {
    const p = dataset();
    const ds = IndexedDataset.open(p);
    const v = ds.validate();
    expect(v.problemCount).toBe(0);
    expect(v.notes).toEqual([]);
    expect(Array.from(ds.sizes())).toEqual(SIZES);
    ds.close();
  });

  it("notes trailing .bin bytes and a doc_idx that stops short (GPT-NeoX merge_file_), as facts, not errors", () => {
    const p = join(mkdtempSync(join(tmp, "ds-")), "merged");
    const w = IndexedDatasetWriter.create(p, { dtype: "uint16" });
    for (let d = 0; d < 8; d++) w.addDocument([d, d]);
    w.addItem([1, 2, 3]); // items 8 and 9 end no document
    w.addItem([4]);
    w.finalize();
    writeFileSync(`${p}.bin`, Buffer.concat([readFileSync(`${p}.bin`), Buffer.alloc(6)]));
    const ds = IndexedDataset.open(p, { verify: "full" });
    const notes = ds.validate().notes;
    expect(notes[0]).toMatch(/\.bin has 6 bytes after the last item \(which ends at byte 40\)/);
    expect(notes[1]).toMatch(/doc_idx ends at item 8 of 10: items from 8 on belong to no document/);
    ds.close();
  });
});

describe("one absurd field is named with its element, byte offset, expected and found", () => {
  const L = layout(SIZES.length);
  // pointers are 2·Σ sizes: [0, 10, 16, 16, 30, 34, 52, 60, 62, 74], .bin is 90 bytes
  const cases: { name: string; corrupt: (p: string) => void; want: RegExp }[] = [
    {
      name: "a size in the middle",
      corrupt: (p) => setI32(`${p}.idx`, L.sizes + 4 * 3, 2147483647),
      want: new RegExp(
        `d\\d+\\.idx: sizes\\[3\\] at byte ${L.sizes + 12}: expected 7 \\(pointers\\[4\\] − pointers\\[3\\] = 14 bytes\\), found 2147483647$`,
      ),
    },
    {
      name: "a negative size",
      corrupt: (p) => setI32(`${p}.idx`, L.sizes + 4 * 5, -9),
      want: new RegExp(`sizes\\[5\\] at byte ${L.sizes + 20}: expected a size >= 0, found -9$`),
    },
    {
      name: "a pointer in the middle",
      corrupt: (p) => setI64(`${p}.idx`, L.pointers + 8 * 4, 2n ** 40n),
      want: new RegExp(
        `pointers\\[4\\] at byte ${L.pointers + 32}: expected 30 \\(pointers\\[3\\] \\+ sizes\\[3\\]·2: .*\\), found ${2 ** 40}$`,
      ),
    },
    {
      name: "a pointer that goes backwards",
      corrupt: (p) => setI64(`${p}.idx`, L.pointers + 8 * 6, 4n),
      want: new RegExp(`pointers\\[6\\] at byte ${L.pointers + 48}: expected 52 .*, found 4$`),
    },
    {
      name: "a pointer beyond 2^53",
      corrupt: (p) => setI64(`${p}.idx`, L.pointers + 8 * 2, -(2n ** 60n)),
      want: new RegExp(`pointers\\[2\\] at byte ${L.pointers + 16}: int64 value beyond 2\\^53`),
    },
    {
      name: "a first pointer that is not 0",
      corrupt: (p) => setI64(`${p}.idx`, L.pointers, 2n),
      want: new RegExp(`pointers\\[0\\] at byte ${L.pointers}: expected 0 .*, found 2$`),
    },
    {
      name: "a last size that runs past the .bin",
      corrupt: (p) => setI32(`${p}.idx`, L.sizes + 4 * 9, 100),
      want: /sizes\[9\] at byte 70: the last item ends at byte 274 of .*\.bin .*, which has 90 bytes/,
    },
    {
      name: "a doc_idx that does not start at 0",
      corrupt: (p) => setI64(`${p}.idx`, L.docIdx, 1n),
      want: new RegExp(`doc_idx\\[0\\] at byte ${L.docIdx}: expected 0 .*, found 1$`),
    },
    {
      name: "a doc_idx entry out of range",
      corrupt: (p) => setI64(`${p}.idx`, L.docIdx + 8 * 4, 11n),
      want: new RegExp(
        `doc_idx\\[4\\] at byte ${L.docIdx + 32}: expected an item index in \\[0, 10\\], found 11$`,
      ),
    },
    {
      name: "a doc_idx that goes backwards",
      corrupt: (p) => setI64(`${p}.idx`, L.docIdx + 8 * 6, 2n),
      want: new RegExp(
        `doc_idx\\[6\\] at byte ${L.docIdx + 48}: expected >= doc_idx\\[5\\] = 5 .*, found 2$`,
      ),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = dataset();
      c.corrupt(p);
      const found = problemsOf(p);
      expect(found.map((e) => e.message)).toHaveLength(1);
      expect(found[0]).toBeInstanceOf(DataFormatError);
      expect(found[0]!.message).toMatch(c.want);
    });
  }

  it("lists every problem of an index with several, in file order", () => {
    const p = dataset();
    setI32(`${p}.idx`, L.sizes + 4 * 1, 1000);
    setI64(`${p}.idx`, L.pointers + 8 * 7, 2n ** 33n);
    setI64(`${p}.idx`, L.docIdx + 8 * 3, 99n);
    expect(problemsOf(p).map((e) => e.field)).toEqual(["sizes[1]", "pointers[7]", "doc_idx[3]"]);
  });

  it("counts past the listed problems of an index that is corrupt throughout", () => {
    const n = 3 * MAX_LISTED_PROBLEMS;
    const p = dataset(Array.from({ length: n }, () => 2));
    const at = layout(n);
    const b = readFileSync(`${p}.idx`);
    for (let i = 0; i < n; i++) b.writeInt32LE(-1, at.sizes + 4 * i);
    writeFileSync(`${p}.idx`, b);
    const ds = IndexedDataset.open(p, { verify: "header" });
    const v = ds.validate();
    expect(v.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(v.problemCount).toBe(n);
    expect(() => ds.checkValid()).toThrow(
      new RegExp(`sizes\\[0\\] .*found -1 \\(and ${n - 1} more problems in this index\\)$`),
    );
    ds.close();
  });

  it("finds an absurd element across the 1M-element chunks of the streaming pass", () => {
    const n = (1 << 20) + 5;
    const p = dataset(Array.from({ length: n }, (_, i) => i % 3));
    const at = layout(n);
    // A size just before the chunk boundary and a pointer on it: the lookahead spans two chunks.
    setI32(`${p}.idx`, at.sizes + 4 * ((1 << 20) - 2), 77);
    setI64(`${p}.idx`, at.pointers + 8 * (1 << 20), 123456789n);
    expect(problemsOf(p).map((e) => e.field)).toEqual([`sizes[${(1 << 20) - 2}]`, `pointers[${1 << 20}]`]);
  });
});

describe("open: the O(1) checks run always", () => {
  const L = layout(SIZES.length);
  it("refuses a first pointer, a first or last doc_idx entry that cannot be right", () => {
    const cases: [(p: string) => void, RegExp][] = [
      [(p) => setI64(`${p}.idx`, L.pointers, 8n), /pointers\[0\] at byte 74: expected 0, found 8/],
      [(p) => setI64(`${p}.idx`, L.docIdx, 3n), /doc_idx\[0\] at byte 154: expected 0, found 3/],
      [
        (p) => setI64(`${p}.idx`, L.docIdx + 8 * 10, 12n),
        /doc_idx\[10\] at byte 234: expected an item index in \[0, 10\], found 12/,
      ],
      [(p) => setI32(`${p}.idx`, L.sizes + 4 * 9, -1), /sizes\[9\] at byte 70: expected a size >= 0, got -1/],
    ];
    for (const [corrupt, want] of cases) {
      const p = dataset();
      corrupt(p);
      expect(() => IndexedDataset.open(p)).toThrow(want);
      // verify: "header" leaves it to validate(), which finds the same element.
      const ds = IndexedDataset.open(p, { verify: "header" });
      expect(ds.validate().problemCount).toBeGreaterThan(0);
      ds.close();
    }
  });

  it("an empty doc_idx (doc_count 0, with a file of exactly that length) is a problem, not a crash", () => {
    const p = dataset();
    const b = readFileSync(`${p}.idx`);
    b.writeBigUInt64LE(0n, 26); // doc_count = 0
    writeFileSync(`${p}.idx`, b.subarray(0, 34 + 12 * SIZES.length));
    expect(() => IndexedDataset.open(p)).toThrow(/doc_idx at byte 154: expected at least doc_idx\[0\] = 0/);
    expect(problemsOf(p)[0]!.message).toMatch(
      /doc_idx at byte 154: expected at least the entry doc_idx\[0\] = 0/,
    );
  });

  it("verify: 'full' throws the first problem of the streaming pass", () => {
    const p = dataset();
    setI32(`${p}.idx`, L.sizes + 4 * 3, 8);
    expect(() => IndexedDataset.open(p)).not.toThrow();
    expect(() => IndexedDataset.open(p, { verify: "full" })).toThrow(/sizes\[3\] at byte 46: expected 7/);
  });
});

describe("a build over a corrupt index writes nothing", () => {
  it("GPT2Dataset.build throws the problem before any cache or temporary exists", () => {
    const p = dataset();
    setI64(`${p}.idx`, layout(SIZES.length).pointers + 8 * 5, 2n ** 35n);
    const dir = join(p, "..");
    const before = readdirSync(dir).sort();
    const ds = IndexedDataset.open(p);
    expect(() => GPT2Dataset.build(ds, { name: "train", numSamples: 4, seqLength: 4, seed: 1 })).toThrow(
      /pointers\[5\] at byte \d+: expected 34/,
    );
    expect(readdirSync(dir).sort()).toEqual(before);
    ds.close();
  });

  it("a truncated .bin is caught at open, before a build can start", () => {
    const p = dataset();
    truncateSync(`${p}.bin`, 50);
    expect(() => IndexedDataset.open(p)).toThrow(/\.bin: item 9 .* at byte 90: .* has 50 bytes/);
  });
});

describe("paths that are not regular files", () => {
  it("a FIFO or a directory is refused before open(2), which would block on a FIFO", () => {
    const p = dataset();
    rmSync(`${p}.bin`);
    const made = spawnSync("mkfifo", [`${p}.bin`]);
    if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
    expect(() => IndexedDataset.open(p)).toThrow(/d\d+\.bin: a FIFO \(named pipe\), not a regular file$/);
    const q = dataset();
    rmSync(`${q}.idx`);
    mkdirSync(`${q}.idx`);
    expect(() => IndexedDataset.open(q)).toThrow(/d\d+\.idx: a directory, not a regular file$/);
    const npy = join(tmp, "pipe.npy");
    spawnSync("mkfifo", [npy]);
    expect(() => new NpyArrayFile(npy)).toThrow(/pipe\.npy: a FIFO \(named pipe\), not a regular file$/);
  });
});
