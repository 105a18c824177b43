// GPT2Dataset index building and sample order against the numpy re-implementation of GPT-NeoX's
// algorithm (tools/fixtures/data/neox_reference.py, fixtures from make_fixtures.py), including the
// neox-spec §2b worked example, split ranges, train_epochs mode and a seq_length 2048 corpus.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  digestSamples,
  GPT2Dataset,
  numEpochsFor,
  sampleIdxDescr,
  sha256Int64,
  shuffleIdxDescr,
  splitBoundaries,
} from "../src/index";
import { writeFormulaCorpus } from "./corpus";
import { fixture } from "./fixture-path";

interface Case {
  name: string;
  sizes: number[];
  token_mul: number;
  seq_length: number;
  num_samples: number | null;
  seed: number;
  split: string | null;
  which: number;
  num_epochs_arg: number | null;
  documents: [number, number];
  tokens_per_epoch: number;
  num_epochs: number;
  dataset_len: number;
  dtypes: { doc_idx: string; sample_idx: string; shuffle_idx: string };
  shapes: { doc_idx: number[]; sample_idx: number[]; shuffle_idx: number[] };
  doc_idx_sha256: string;
  sample_idx_sha256: string;
  shuffle_idx_sha256: string;
  samples_sha256: string;
  first_samples: number[][];
  extra_items: Record<string, number[]>;
  doc_idx?: number[];
  sample_idx?: number[][];
  shuffle_idx?: number[];
}

const CASES = (JSON.parse(readFileSync(fixture("index-cases.json"), "utf8")) as { cases: Case[] }).cases;
const NPY_DESCR: Record<string, string> = { int32: "<i4", uint32: "<u4", int64: "<i8" };
const tmp = mkdtempSync(join(tmpdir(), "neox-gpt2-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("GPT2Dataset (packed) against the numpy reference", () => {
  for (const c of CASES) {
    for (const mode of ["in memory", "with .npy caches"] as const) {
      it(`${c.name} ${mode}`, () => {
        const dir = mkdtempSync(join(tmp, "case-"));
        const indexed = writeFormulaCorpus(join(dir, "corpus"), c.sizes, c.token_mul);
        const documents: [number, number] = c.split
          ? (splitBoundaries(c.split, c.sizes.length).slice(c.which, c.which + 2) as [number, number])
          : [0, c.sizes.length];
        expect(documents).toEqual(c.documents);
        const ds = GPT2Dataset.build(indexed, {
          name: "train",
          documents,
          numSamples: c.num_samples,
          numEpochs: c.num_epochs_arg,
          seqLength: c.seq_length,
          seed: c.seed,
          indexDir: mode === "in memory" ? false : dir,
        });
        expect(ds.numEpochs).toBe(c.num_epochs);
        expect(ds.index.tokensPerEpoch).toBe(c.tokens_per_epoch);
        expect(ds.length).toBe(c.dataset_len);
        expect(ds.docIdx.length).toBe(c.shapes.doc_idx[0]);
        expect(ds.sampleIdx.length).toBe(c.shapes.sample_idx[0]! * 2);
        expect(ds.shuffleIdx.length).toBe(c.shapes.shuffle_idx[0]);
        expect(sampleIdxDescr(c.num_epochs, c.tokens_per_epoch, c.seq_length)).toBe(
          NPY_DESCR[c.dtypes.sample_idx],
        );
        expect(shuffleIdxDescr(c.shapes.shuffle_idx[0]!)).toBe(NPY_DESCR[c.dtypes.shuffle_idx]);
        if (c.doc_idx) expect(Array.from(ds.docIdx.read(0, ds.docIdx.length))).toEqual(c.doc_idx);
        if (c.sample_idx)
          expect(Array.from(ds.sampleIdx.read(0, ds.sampleIdx.length))).toEqual(c.sample_idx.flat());
        if (c.shuffle_idx)
          expect(Array.from(ds.shuffleIdx.read(0, ds.shuffleIdx.length))).toEqual(c.shuffle_idx);
        expect(sha256Int64(ds.docIdx)).toBe(c.doc_idx_sha256);
        expect(sha256Int64(ds.sampleIdx)).toBe(c.sample_idx_sha256);
        expect(sha256Int64(ds.shuffleIdx)).toBe(c.shuffle_idx_sha256);
        const digest = digestSamples(ds, c.num_samples ?? ds.length);
        expect(digest.first_samples).toEqual(c.first_samples);
        expect(digest.samples_sha256).toBe(c.samples_sha256);
        for (const [i, item] of Object.entries(c.extra_items))
          expect(Array.from(ds.getItem(Number(i))), `item ${i}`).toEqual(item);
        ds.close();
        indexed.close();
      });
    }
  }

  it("the worked example of neox-spec §2b, spelled out", () => {
    const indexed = writeFormulaCorpus(join(tmp, "worked"), [5, 3, 7, 2], 100);
    const ds = GPT2Dataset.build(indexed, {
      name: "train",
      numSamples: 6,
      seqLength: 4,
      seed: 1234,
      indexDir: false,
    });
    expect(Array.from(ds.docIdx.read(0, 8))).toEqual([2, 1, 2, 0, 0, 1, 3, 3]);
    expect(Array.from(ds.shuffleIdx.read(0, 8))).toEqual([5, 0, 3, 4, 2, 6, 1, 7]);
    expect(ds.length).toBe(7);
    expect(Array.from(ds.getItem(0))).toEqual([3, 4, 0, 1, 2]); // sample 5
    expect(Array.from(ds.getItem(7))).toEqual([101, 102, 300, 301, 300]); // sample 7: past len, still in shuffle_idx
    expect(Array.from(ds.getItem(8))).toEqual(Array.from(ds.getItem(1))); // IndexError → 8 % 7
    indexed.close();
  });
});

describe("epoch rule", () => {
  it("is the smallest E with (E·tokens − 1) // seq_length >= num_samples", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let t = 0; t < 2000; t++) {
      const tokens = 2 + rand(5000);
      const seq = 2 + rand(3000);
      const samples = rand(20000);
      let e = 0;
      let total = 0;
      for (;;) {
        e++;
        total += tokens;
        if (Math.floor((total - 1) / seq) >= samples) break;
      }
      expect(numEpochsFor(tokens, seq, samples)).toBe(e);
    }
    expect(numEpochsFor(207e9, 2048, 146_432_000)).toBe(2);
    expect(() => numEpochsFor(1, 8, 10)).toThrow(/at least 2/);
  });

  it("switches sample_idx to int64 by GPT-NeoX's float test and shuffle_idx at 2^32 − 2", () => {
    // 2·((E·T − 1)/seq + 1) < 2^31 − 1
    expect(sampleIdxDescr(1, 1073741822 * 2 + 1, 2)).toBe("<i4");
    expect(sampleIdxDescr(1, 1073741823 * 2 + 1, 2)).toBe("<i8");
    expect(shuffleIdxDescr(4294967293)).toBe("<u4");
    expect(shuffleIdxDescr(4294967294)).toBe("<i8");
  });
});
