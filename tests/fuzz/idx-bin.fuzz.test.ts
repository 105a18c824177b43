// Fuzzing the .idx/.bin reader: valid datasets written by IndexedDatasetWriter (four dtypes, empty items,
// items without a document, a document of several items) are mutated by the seeded byte mutator, and each
// result is opened, validated, read item by item and sampled through an in-memory GPT2Dataset. A dataset
// may be refused only with DataFormatError (a corrupt file) or DataRequestError (a valid file that cannot
// serve the request, such as one without tokens); once validation passes, every item read and every
// sample must succeed, so a validation that lets a bad index through fails here. No input may take more
// than 2 s or grow the heap by more than 256 MiB over the run. Replay a failure with `replay(seeds,
// seed, round)` from ./mutate. NEOX_FUZZ_MS=60000 runs longer locally.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DataFormatError,
  DataRequestError,
  type DType,
  datasetStats,
  GPT2Dataset,
  IndexedDataset,
  IndexedDatasetWriter,
} from "@neox/data-mmap";
import { afterAll, describe, expect, it } from "vitest";
import { fuzz, sweepTruncations } from "./mutate";

const tmp = mkdtempSync(join(tmpdir(), "neox-fuzz-idx-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One input holds both files: u32 LE length of the .idx, the .idx, then the .bin. */
function pack(idx: Uint8Array, bin: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + idx.length + bin.length);
  new DataView(out.buffer).setUint32(0, idx.length, true);
  out.set(idx, 4);
  out.set(bin, 4 + idx.length);
  return out;
}

function unpack(input: Uint8Array): [Uint8Array, Uint8Array] {
  const n =
    input.length < 4
      ? 0
      : Math.min(new DataView(input.buffer, input.byteOffset).getUint32(0, true), input.length - 4);
  const body = input.subarray(Math.min(4, input.length));
  return [body.subarray(0, n), body.subarray(n)];
}

function seed(name: string, dtype: DType, write: (w: IndexedDatasetWriter) => void): Uint8Array {
  const prefix = join(tmp, name);
  const w = IndexedDatasetWriter.create(prefix, { dtype });
  write(w);
  w.finalize();
  return pack(readFileSync(`${prefix}.idx`), readFileSync(`${prefix}.bin`));
}

const SEEDS = [
  seed("u16", "uint16", (w) => {
    for (let d = 0; d < 12; d++) w.addDocument(Array.from({ length: (d * 7) % 11 }, (_, k) => d * 50 + k));
  }),
  seed("i32", "int32", (w) => {
    w.addItem([1, 2, 3]);
    w.addItem([70000, -5]);
    w.endDocument();
    w.addDocument([9, 8, 7, 6, 5, 4]);
  }),
  seed("u8", "uint8", (w) => {
    w.addDocument([]);
    w.addDocument([255, 0, 1]);
    w.addItem([4, 4]); // an item no document ends (as GPT-NeoX's merge_file_ leaves them)
  }),
  seed("i64", "int64", (w) => {
    w.addDocument([1, 2 ** 31 - 1, -3]);
    w.addDocument([5, 6]);
  }),
];

const prefix = join(tmp, "target");
const expected = (e: unknown) => e instanceof DataFormatError || e instanceof DataRequestError;

function target(input: Uint8Array): void {
  const [idx, bin] = unpack(input);
  writeFileSync(`${prefix}.idx`, idx);
  writeFileSync(`${prefix}.bin`, bin);
  const ds = IndexedDataset.open(prefix);
  try {
    ds.checkValid();
    datasetStats(ds);
    // Validation passed: from here on only a request the file cannot serve, or an int64 token id beyond
    // int32 (the .bin is not read by validation), may be refused.
    afterValidation("read", () => {
      const out = new Int32Array(Math.max(1, ...ds.sizes()));
      for (let i = 0; i < ds.length; i++) {
        ds.get(i);
        if (!ds.dtype.startsWith("float")) ds.readTokens(i, 0, undefined, out, 0);
      }
    });
    if (ds.length === 0) return;
    const samples = afterValidation("build", () =>
      GPT2Dataset.build(ds, {
        name: "train",
        numSamples: 6,
        seqLength: 5,
        seed: 1234,
        indexDir: false,
        memoryLimitBytes: 64 << 20,
      }),
    );
    try {
      afterValidation("sample", () => {
        for (let i = 0; i < samples.length; i++) samples.getItem(i);
      });
    } finally {
      samples.close();
    }
  } finally {
    ds.close();
  }
}

function afterValidation<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DataRequestError) throw e;
    if (e instanceof DataFormatError && /beyond int32$/.test(e.message)) throw e;
    throw new Error(`${what} failed after validation passed: ${e instanceof Error ? e.stack : String(e)}`);
  }
}

describe("fuzz: .idx/.bin reader", () => {
  it("the seeds are valid datasets the target accepts", () => {
    for (const s of SEEDS) target(s);
  });

  it("every truncation of every seed is refused cleanly or read in full", () => {
    sweepTruncations(SEEDS, target, expected);
  });

  it("mutated datasets are refused cleanly or read in full, within time and memory bounds", () => {
    const report = fuzz({ seeds: SEEDS, target, expected, budgetMs: 5000, seed: 20240611 });
    console.log(
      `idx/bin fuzz: ${report.rounds} rounds (${report.accepted} read in full, ${report.rejected} refused)`,
    );
    expect(report.rounds).toBeGreaterThan(SEEDS.length);
    expect(report.accepted).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  });
});
