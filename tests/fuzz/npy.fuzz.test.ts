// Fuzzing the .npy reader: index caches as saveNpy writes them (int32, uint32 and int64, 1-D and 2-D,
// empty), one numpy wrote (GPT-NeoX's worked example) and a version 2.0 header are mutated by the seeded
// byte mutator; each result is opened as NpyArrayFile and read whole (loadNpy), in ranges and element by
// element. It may be refused only with DataFormatError; once it opens, every element in range must read
// (an int64 beyond 2^53 is a DataFormatError naming it). No input may take more than 2 s or grow the heap
// by more than 256 MiB over the run: a header claiming 2^32 bytes or a shape of 2^64 elements is refused
// before anything that size is allocated. NEOX_FUZZ_MS=60000 runs longer locally.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DataFormatError, loadNpy, NpyArrayFile, type NpyDescr, saveNpy } from "@neox/data-mmap";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/run-neox";
import { fuzz, sweepTruncations } from "./mutate";

const tmp = mkdtempSync(join(tmpdir(), "neox-fuzz-npy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function saved(name: string, descr: NpyDescr, shape: number[], values: number[]): Uint8Array {
  const p = join(tmp, `${name}.npy`);
  const data =
    descr === "<i8"
      ? Float64Array.from(values)
      : descr === "<u4"
        ? Uint32Array.from(values)
        : Int32Array.from(values);
  saveNpy(p, descr, shape, data);
  return readFileSync(p);
}

/** The same array as a version 2.0 file (u32 header length), as numpy writes headers over 64 KiB. */
function version2(v1: Uint8Array): Uint8Array {
  const hlen = new DataView(v1.buffer, v1.byteOffset).getUint16(8, true);
  const out = new Uint8Array(v1.length + 2);
  out.set(v1.subarray(0, 8), 0);
  out[6] = 2;
  new DataView(out.buffer).setUint32(8, hlen, true);
  out.set(v1.subarray(10), 12);
  return out;
}

const FIXTURE = resolve(
  REPO_ROOT,
  "packages/data-mmap/test/fixtures/npy/worked_train_indexmap_6ns_4sl_1234s_packedpi_ac_sample_idx.npy",
);
const i32 = saved("i32", "<i4", [6], [0, -1, 2, 2147483647, -2147483648, 5]);
const SEEDS = [
  i32,
  saved("u32", "<u4", [4], [0, 1, 4294967295, 7]),
  saved("i64", "<i8", [3, 2], [0, -(2 ** 50), 2 ** 40, 3, 4, 5]),
  saved("empty", "<i4", [0], []),
  readFileSync(FIXTURE),
  version2(i32),
];

const path = join(tmp, "target.npy");
const expected = (e: unknown) => e instanceof DataFormatError;

function target(input: Uint8Array): void {
  writeFileSync(path, input);
  const f = new NpyArrayFile(path);
  try {
    const all = f.read();
    // Opened: the array is what the header says, and each element reads on its own as in the whole.
    if (all.length !== f.length) throw new Error(`read ${all.length} of ${f.length} elements`);
    for (let i = 0; i < f.length; i++) {
      if (f.at(i) !== all[i]) throw new Error(`element ${i}: at() ${f.at(i)}, read() ${all[i]}`);
    }
    if (f.length > 1) f.read(1, f.length);
  } catch (e) {
    // An int64 element beyond 2^53 is a clean refusal from read(); anything else after opening is a bug.
    if (e instanceof DataFormatError && /int64 value beyond 2\^53$/.test(e.message)) throw e;
    if (e instanceof DataFormatError) throw new Error(`after opening: ${e.message}`);
    throw e;
  } finally {
    f.close();
  }
  loadNpy(path);
}

describe("fuzz: .npy reader", () => {
  it("the seeds are valid .npy files the target accepts", () => {
    for (const s of SEEDS) target(s);
  });

  it("every truncation of every seed is refused cleanly or read in full", () => {
    sweepTruncations(SEEDS, target, expected);
  });

  it("mutated files are refused cleanly or read in full, within time and memory bounds", () => {
    const report = fuzz({ seeds: SEEDS, target, expected, budgetMs: 5000, seed: 7 });
    console.log(
      `npy fuzz: ${report.rounds} rounds (${report.accepted} read in full, ${report.rejected} refused)`,
    );
    expect(report.rounds).toBeGreaterThan(SEEDS.length);
    expect(report.accepted).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  });
});
