// Requests an input or a machine cannot serve are refused before anything is allocated or written,
// naming the parameter, the value, the largest value that is served and why: parameters that are not
// what GPT-NeoX takes, documents without tokens, sizes beyond 2^53 or a typed array, an index beyond the
// memory it may use, blend weights that are not shares. The limits given are checked at their boundary
// (the limit builds, one more is refused), so they are derived by the code under test, not restated.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildBlendingIndices,
  buildCost,
  buildNeoxDataset,
  checkWeights,
  DataRequestError,
  digestSamples,
  FIRST_SAMPLES_MAX_TOKENS,
  GPT2Dataset,
  IndexedDataset,
  IndexedDatasetWriter,
  planIndex,
  planWithin,
  weightedNumSamples,
} from "../src/index";
import { encodeInt64 } from "../src/int64";
import { writeFormulaCorpus } from "./corpus";

/** build_blending_indices (neox-spec §2c) written out without the weight checks, to show what 0 does. */
function buildBlendingIndicesUnchecked(weights: number[], size: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const w = weights.map((x) => x / sum);
  const current = w.map(() => 0);
  const out: number[] = [];
  for (let k = 0; k < size; k++) {
    const d = Math.max(k, 1);
    let best = 0;
    for (let i = 1; i < w.length; i++) if (w[i]! * d - current[i]! > w[best]! * d - current[best]!) best = i;
    out.push(best);
    current[best]!++;
  }
  return out;
}

function int64Bytes(a: Int32Array): Uint8Array {
  const out = new Uint8Array(8 * a.length);
  encodeInt64(a, 0, a.length, out);
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "neox-bounds-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SIZES = Int32Array.from([5, 3, 7, 2, 9, 4]); // 30 tokens
const base = { sizes: SIZES, start: 0, stop: SIZES.length, numSamples: 10, seqLength: 4, seed: 1234 };

function refusal(f: () => unknown): DataRequestError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataRequestError);
    return e as DataRequestError;
  }
  throw new Error("expected a DataRequestError, got none");
}

describe("parameters that are not what GPT-NeoX takes", () => {
  const cases: [string, Partial<typeof base> & { numEpochs?: number }, string, RegExp][] = [
    ["seq_length NaN", { seqLength: Number.NaN }, "seq_length", /expected an integer >= 2/],
    ["seq_length 1", { seqLength: 1 }, "seq_length", /expected an integer >= 2/],
    ["seq_length 2.5", { seqLength: 2.5 }, "seq_length", /expected an integer >= 2/],
    ["seed -1", { seed: -1 }, "seed", /\[0, 2\^32\)/],
    ["seed 2^32", { seed: 2 ** 32 }, "seed", /\[0, 2\^32\)/],
    ["seed 1.5", { seed: 1.5 }, "seed", /\[0, 2\^32\)/],
    ["num_samples -3", { numSamples: -3 }, "num_samples", /expected an integer >= 0/],
    ["num_samples Infinity", { numSamples: Number.POSITIVE_INFINITY }, "num_samples", /integer >= 0/],
    ["train_epochs 0.5", { numSamples: null as never, numEpochs: 0.5 }, "train_epochs", /integer >= 1/],
    ["documents past the end", { stop: 7 }, "documents", /expected a non-empty range of the 6 items/],
    ["documents empty", { start: 3, stop: 3 }, "documents", /non-empty range/],
  ];
  for (const [name, change, param, reason] of cases) {
    it(name, () => {
      const e = refusal(() => planIndex({ ...base, ...change }));
      expect(e.param).toBe(param);
      expect(e.reason).toMatch(reason);
    });
  }
});

describe("inputs that cannot serve any sample", () => {
  it("num_samples 0 over documents shorter than one sample: no sample at all", () => {
    const e = refusal(() => planIndex({ ...base, numSamples: 0, seqLength: 30 }));
    expect(e.param).toBe("seq_length");
    expect(e.limit).toBe(29);
    expect(planIndex({ ...base, numSamples: 0, seqLength: 29 }).samples).toBe(1);
  });

  it("a dataset with no items, documents with 0 or 1 token", () => {
    expect(refusal(() => planIndex({ ...base, sizes: new Int32Array(0), stop: 0 })).reason).toMatch(
      /the dataset has no items/,
    );
    const empty = Int32Array.from([0, 0, 0]);
    expect(refusal(() => planIndex({ ...base, sizes: empty, stop: 3 })).reason).toMatch(/hold 0 token\(s\)/);
    const one = Int32Array.from([0, 1]);
    expect(refusal(() => planIndex({ ...base, sizes: one, stop: 2 })).reason).toMatch(/hold 1 token\(s\)/);
  });

  it("a float dataset holds no token ids", () => {
    const p = join(tmp, "floats");
    const w = IndexedDatasetWriter.create(p, { dtype: "float32" });
    w.addDocument([0.5, 1.5, 2.5]);
    w.finalize();
    const ds = IndexedDataset.open(p);
    const e = refusal(() => GPT2Dataset.build(ds, { name: "train", numSamples: 1, seqLength: 2, seed: 1 }));
    expect(e.message).toMatch(/^dtype float32: .*floats\.bin holds floats, not token ids/);
    ds.close();
  });
});

describe("sizes no machine serves", () => {
  it("num_samples × seq_length beyond 2^53: refused with the largest num_samples that fits here", () => {
    const limits = { inMemory: true, memoryLimitBytes: 1 << 20 };
    const e = refusal(() => planWithin({ ...base, numSamples: 2 ** 52 }, limits));
    expect(e.param).toBe("num_samples");
    // planIndex alone gives the arithmetic limit: num_samples × seq_length + tokens <= 2^53.
    const arithmetic = refusal(() => planIndex({ ...base, numSamples: 2 ** 52 })).limit!;
    expect(arithmetic * 4 + 30).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    expect((arithmetic + 1) * 4 + 30).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(e.reason).toMatch(/beyond 2\^53 tokens.*the largest num_samples that fits is \d+/);
    const limit = e.limit!;
    expect(() => planWithin({ ...base, numSamples: limit }, limits)).not.toThrow();
    expect(buildCost(planIndex({ ...base, numSamples: limit }), 4, true).memoryBytes).toBeLessThanOrEqual(
      1 << 20,
    );
    expect(buildCost(planIndex({ ...base, numSamples: limit + 1 }), 4, true).memoryBytes).toBeGreaterThan(
      1 << 20,
    );
  });

  it("doc_idx longer than a typed array (2^32), whatever the memory", () => {
    const limits = { inMemory: false, memoryLimitBytes: Number.POSITIVE_INFINITY };
    const e = refusal(() => planWithin({ ...base, numSamples: 2 ** 33 }, limits));
    expect(e.reason).toMatch(/ would hold \d+ elements, more than the 2\^32 a typed array can hold/);
    const plan = planIndex({ ...base, numSamples: e.limit! });
    expect(plan.docIdxLength).toBeLessThanOrEqual(2 ** 32);
    expect(plan.samples).toBeLessThanOrEqual(2 ** 32);
    const next = planIndex({ ...base, numSamples: e.limit! + 1 });
    expect(Math.max(next.docIdxLength, next.samples)).toBeGreaterThan(2 ** 32);
  });
});

describe("an index beyond the memory it may use", () => {
  const corpus = () => writeFormulaCorpus(join(mkdtempSync(join(tmp, "mem-")), "c"), Array.from(SIZES), 100);

  it("names num_samples and the largest that fits; that one builds and one more does not", () => {
    const indexed = corpus();
    const memoryLimitBytes = 64 * 1024;
    const opts = { name: "train", seqLength: 4, seed: 1, indexDir: false as const, memoryLimitBytes };
    const e = refusal(() => GPT2Dataset.build(indexed, { ...opts, numSamples: 100_000 }));
    expect(e.param).toBe("num_samples");
    expect(e.message).toMatch(
      /^num_samples 100000: the index needs .* of memory \(doc_idx \d+ entries, shuffle_idx \d+, over \d+ epochs\), more than the 65536 bytes it may use; the largest num_samples that fits is \d+ \(dataset .*\/c, train\)$/,
    );
    const ok = GPT2Dataset.build(indexed, { ...opts, numSamples: e.limit! });
    expect(ok.length).toBeGreaterThanOrEqual(e.limit! - 1);
    ok.close();
    expect(() => GPT2Dataset.build(indexed, { ...opts, numSamples: e.limit! + 1 })).toThrow(DataRequestError);
    indexed.close();
  });

  it("names seq_length when the sample buffers alone do not fit", () => {
    const indexed = corpus();
    const e = refusal(() =>
      GPT2Dataset.build(indexed, {
        name: "train",
        numSamples: 1,
        seqLength: 10_000_000,
        seed: 1,
        indexDir: false,
        memoryLimitBytes: 1 << 20,
      }),
    );
    expect(e.param).toBe("seq_length");
    expect(e.limit).toBeGreaterThan(2);
    expect(8 * (e.limit! + 1)).toBeLessThanOrEqual(1 << 20);
    indexed.close();
  });

  it("names the documents when even one epoch of doc_idx does not fit", () => {
    const e = refusal(() =>
      planWithin(
        { ...base, sizes: new Int32Array(100_000).fill(3), stop: 100_000, numSamples: 1 },
        { inMemory: false, memoryLimitBytes: 100_000 },
      ),
    );
    expect(e.param).toBe("documents");
    expect(e.reason).toMatch(/even for one epoch and no samples$/);
  });

  it("a refused build writes no cache and no temporary", () => {
    const indexed = corpus();
    const dir = mkdtempSync(join(tmp, "idx-"));
    expect(() =>
      GPT2Dataset.build(indexed, {
        name: "train",
        numSamples: 10_000_000,
        seqLength: 4,
        seed: 1,
        indexDir: dir,
        memoryLimitBytes: 1 << 20,
      }),
    ).toThrow(/the largest num_samples that fits/);
    expect(readdirSync(dir)).toEqual([]);
    indexed.close();
  });

  it("stale temporaries of dead processes are removed before a build, and said so", () => {
    const indexed = corpus();
    const dir = mkdtempSync(join(tmp, "stale-"));
    // Linux pids stop at 2^22, so this process cannot be running.
    const stale = join(dir, "c_train_indexmap_8ns_4sl_1s_packedpi_ac_sample_idx.npy.tmp-4194305-abc123");
    writeFileSync(stale, "half a file");
    const logs: string[] = [];
    const ds = GPT2Dataset.build(indexed, {
      name: "train",
      numSamples: 8,
      seqLength: 4,
      seed: 1,
      indexDir: dir,
      log: (l) => logs.push(l),
    });
    expect(existsSync(stale)).toBe(false);
    expect(logs).toContain(`removed ${stale}, left by a process that no longer runs`);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    ds.close();
    indexed.close();
  });
});

describe("seq_length beyond the documents is served, as GPT-NeoX does, and said so", () => {
  it("logs that every sample repeats the documents", () => {
    const indexed = writeFormulaCorpus(join(mkdtempSync(join(tmp, "long-")), "c"), Array.from(SIZES), 100);
    const logs: string[] = [];
    const ds = GPT2Dataset.build(indexed, {
      name: "train",
      numSamples: 3,
      seqLength: 64,
      seed: 1,
      indexDir: false,
      log: (l) => logs.push(l),
    });
    expect(logs[0]).toMatch(
      /^seq_length 64 is at least the 30 tokens of documents \[0, 6\): every sample repeats them/,
    );
    expect(ds.getItem(0)).toHaveLength(65);
    ds.close();
    indexed.close();
  });
});

describe("blend weights", () => {
  const cases: [number[], string, RegExp][] = [
    [[1, -0.5], "train_data_weights[1]", /expected a finite number > 0/],
    [[Number.NaN, 1], "train_data_weights[0]", /finite number > 0/],
    [[1, Number.POSITIVE_INFINITY], "train_data_weights[1]", /finite number > 0/],
    [[1, 0], "train_data_weights[1]", /a weight of 0 still draws from the dataset/],
    [[0, 0], "train_data_weights[0]", /a weight of 0 still draws/],
    [[], "train_data_weights", /got none/],
  ];
  for (const [weights, param, reason] of cases) {
    it(`[${weights.join(", ")}]`, () => {
      const e = refusal(() => weightedNumSamples(weights, 100, "train_data_weights"));
      expect(e.param).toBe(param);
      expect(e.reason).toMatch(reason);
      expect(() => checkWeights(weights)).toThrow(DataRequestError);
    });
  }

  it("why a weight of 0 is refused: GPT-NeoX's blending still draws from that dataset", () => {
    // The claim in the refusal, shown on the algorithm itself (bypassing the check): k = 1 ties.
    const weights = [0, 1];
    const drawn = buildBlendingIndicesUnchecked(weights, 5);
    expect(drawn[1]).toBe(0);
    expect(() => buildBlendingIndices(weights, 5)).toThrow(/a weight of 0 still draws/);
  });

  it("buildNeoxDataset names the config key, and weighted_sampler_alpha must be a number", () => {
    const dir = mkdtempSync(join(tmp, "blend-"));
    const a = writeFormulaCorpus(join(dir, "a"), [4, 5, 6], 10);
    const b = writeFormulaCorpus(join(dir, "b"), [7, 8], 20);
    a.close();
    b.close();
    const args = {
      train_data_paths: [join(dir, "a"), join(dir, "b")],
      valid_data_paths: [],
      test_data_paths: [],
      seq_length: 4,
      seed: 1,
      train_iters: 2,
      train_batch_size: 2,
    };
    expect(() =>
      buildNeoxDataset({ ...args, train_data_weights: [1, -1] }, "train", { indexDir: false }),
    ).toThrow(/^train_data_weights\[1\] -1: expected a finite number > 0/);
    expect(() =>
      buildNeoxDataset({ ...args, train_data_weights: [1] }, "train", { indexDir: false }),
    ).toThrow(/^train_data_weights \[1\]: has 1 entries for 2 train_data_paths/);
    expect(() =>
      buildNeoxDataset(
        { ...args, weight_by_num_documents: true, weighted_sampler_alpha: Number.NaN },
        "train",
        { indexDir: false },
      ),
    ).toThrow(/^weighted_sampler_alpha NaN: expected a finite number >= 0/);
  });

  it("a blend with a dataset of no items is refused before weighting by document counts", () => {
    const dir = mkdtempSync(join(tmp, "empty-blend-"));
    writeFormulaCorpus(join(dir, "a"), [4, 5], 10).close();
    IndexedDatasetWriter.create(join(dir, "none"), { dtype: "uint16" }).finalize();
    const args = {
      train_data_paths: [join(dir, "a"), join(dir, "none")],
      seq_length: 4,
      seed: 1,
      train_iters: 2,
      train_batch_size: 2,
      weight_by_num_documents: true,
    };
    const e = refusal(() => buildNeoxDataset(args, "train", { indexDir: false }));
    expect(e.message).toMatch(/^documents \[0, 0\): the dataset .*\/none has no items/);
  });

  it("a blend's components share one memory budget", () => {
    const dir = mkdtempSync(join(tmp, "budget-"));
    for (const n of ["a", "b"]) writeFormulaCorpus(join(dir, n), [40, 50, 60], 10).close();
    const args = {
      train_data_paths: [join(dir, "a"), join(dir, "b")],
      seq_length: 4,
      seed: 1,
      train_iters: 1000,
      train_batch_size: 4,
    };
    // Each component alone fits the budget; both together do not.
    const one = buildCost(
      planIndex({
        sizes: Int32Array.from([40, 50, 60]),
        start: 0,
        stop: 3,
        numSamples: 2010,
        seqLength: 4,
        seed: 1,
      }),
      4,
      true,
    ).memoryBytes;
    const e = refusal(() =>
      buildNeoxDataset(args, "train", { indexDir: false, memoryLimitBytes: Math.floor(1.5 * one) }),
    );
    expect(e.message).toMatch(/\(dataset .*\/b, train_1\)$/);
    const built = buildNeoxDataset(args, "train", { indexDir: false, memoryLimitBytes: 10 * one })!;
    expect(built.components).toHaveLength(2);
    built.close();
  });
});

describe("sample digests stay bounded whatever seq_length is", () => {
  it("lists fewer first samples when they would pass the token cap, says so, and hashes in chunks", () => {
    const seqLength = FIRST_SAMPLES_MAX_TOKENS / 2; // one sample fits the listing, a second does not
    const sizes = [seqLength, seqLength + 7, seqLength, seqLength + 3, 40];
    const indexed = writeFormulaCorpus(join(mkdtempSync(join(tmp, "digest-")), "c"), sizes, 7);
    const ds = GPT2Dataset.build(indexed, {
      name: "train",
      numSamples: 3,
      seqLength,
      seed: 1,
      indexDir: false,
    });
    const d = digestSamples(ds, 3);
    expect(d.first_samples).toHaveLength(1);
    expect(d.first_samples_note).toBe(
      `first_samples lists 1 of the first 3 samples: each is ${seqLength + 1} tokens and the listing is capped at ${FIRST_SAMPLES_MAX_TOKENS} tokens`,
    );
    // The chunked hash is the hash of the whole samples as int64.
    const whole = createHash("sha256");
    for (let i = 0; i < 3; i++) whole.update(int64Bytes(ds.getItem(i)));
    expect(d.samples_sha256).toBe(whole.digest("hex"));
    expect(d.first_samples[0]).toEqual(Array.from(ds.getItem(0)));
    ds.close();
    indexed.close();
  });
});
