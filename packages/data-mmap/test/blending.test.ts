// Weighted blending against neox_reference.py (helpers.build_blending_indices re-implemented in numpy,
// weights normalised with np.sum) and a two-corpus blend built as the trainer builds train_data_paths.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BlendableDataset,
  buildBlendingIndices,
  digestSamples,
  GPT2Dataset,
  numpySum,
  sha256Int64,
  weightedNumSamples,
} from "../src/index";
import { writeFormulaCorpus } from "./corpus";
import { fixture } from "./fixture-path";

const FX = JSON.parse(readFileSync(fixture("blending.json"), "utf8")) as {
  cases: { weights: number[]; size: number; dataset_index: number[]; dataset_sample_index: number[] }[];
  num_samples: { weights: number[]; num_samples: number; normalized: number[]; per_dataset: number[] }[];
  blend: {
    weights: number[];
    seq_length: number;
    num_samples: number;
    seed: number;
    components: {
      name: string;
      sizes: number[];
      token_mul: number;
      num_samples: number;
      num_epochs: number;
      dataset_len: number;
      doc_idx_sha256: string;
      sample_idx_sha256: string;
      shuffle_idx_sha256: string;
    }[];
    dataset_len: number;
    dataset_index_sha256: string;
    dataset_sample_index_sha256: string;
    samples_sha256: string;
    first_samples: number[][];
  };
};
const tmp = mkdtempSync(join(tmpdir(), "neox-blend-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("blending indices", () => {
  for (const c of FX.cases) {
    it(`weights [${c.weights.join(", ")}], ${c.size} draws`, () => {
      const b = buildBlendingIndices(c.weights, c.size);
      expect(Array.from(b.datasetIndex)).toEqual(c.dataset_index);
      expect(Array.from(b.datasetSampleIndex)).toEqual(c.dataset_sample_index);
    });
  }

  it("the examples of neox-spec §2c", () => {
    const a = buildBlendingIndices([0.7, 0.3], 10);
    expect(Array.from(a.datasetIndex)).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(a.datasetSampleIndex)).toEqual([0, 0, 1, 2, 1, 3, 4, 2, 5, 6]);
    expect(Array.from(buildBlendingIndices([1, 1, 2], 8).datasetIndex)).toEqual([2, 0, 1, 2, 0, 2, 1, 2]);
  });

  it("sums like numpy (pairwise from 8 elements), not left to right", () => {
    const w = [0.1, 0.7, 0.3, 0.11, 0.13, 0.17, 0.19, 0.23, 0.29, 0.31, 1e-3];
    let seq = 0;
    for (const x of w) seq += x;
    expect(numpySum(w)).not.toBe(seq); // the two orders round differently for these weights
  });

  for (const c of FX.num_samples) {
    it(`per-dataset sample counts with the 0.5% over-build: [${c.weights.join(", ")}] × ${c.num_samples}`, () => {
      const r = weightedNumSamples(c.weights, c.num_samples);
      expect(r.weights).toEqual(c.normalized);
      expect(r.numSamples).toEqual(c.per_dataset);
    });
  }
});

describe("BlendableDataset", () => {
  it("reproduces a two-corpus blend (train_data_paths + train_data_weights)", () => {
    const b = FX.blend;
    const { weights, numSamples } = weightedNumSamples(b.weights, b.num_samples);
    const comps = b.components.map((c, k) => {
      const indexed = writeFormulaCorpus(join(tmp, `c${k}`), c.sizes, c.token_mul);
      const ds = GPT2Dataset.build(indexed, {
        name: c.name,
        numSamples: numSamples[k]!,
        seqLength: b.seq_length,
        seed: b.seed,
        indexDir: tmp,
      });
      expect(numSamples[k]).toBe(c.num_samples);
      expect(ds.numEpochs).toBe(c.num_epochs);
      expect(ds.length).toBe(c.dataset_len);
      expect(sha256Int64(ds.docIdx)).toBe(c.doc_idx_sha256);
      expect(sha256Int64(ds.sampleIdx)).toBe(c.sample_idx_sha256);
      expect(sha256Int64(ds.shuffleIdx)).toBe(c.shuffle_idx_sha256);
      return ds;
    });
    const blend = new BlendableDataset(comps, weights);
    expect(blend.length).toBe(b.dataset_len);
    expect(sha256Int64(Float64Array.from(blend.indices.datasetIndex))).toBe(b.dataset_index_sha256);
    expect(sha256Int64(blend.indices.datasetSampleIndex)).toBe(b.dataset_sample_index_sha256);
    const d = digestSamples(blend, b.num_samples);
    expect(d.first_samples).toEqual(b.first_samples);
    expect(d.samples_sha256).toBe(b.samples_sha256);
    expect(Array.from(blend.getItem(blend.length + 3))).toEqual(Array.from(blend.getItem(3)));
  });
});
