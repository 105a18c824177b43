// The trainer's datasets from GPT-NeoX arguments: requested sample counts per split, split ranges from
// data_path, empty splits, and weight_by_num_documents (fixtures from tools/fixtures/data/make_fixtures.py).
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildNeoxDataset,
  digestSamples,
  requestedSamples,
  sha256Int64,
  weightsByNumDocs,
} from "../src/index";
import { fixture } from "./fixture-path";

const CASES = new Map(
  (
    JSON.parse(readFileSync(fixture("index-cases.json"), "utf8")) as {
      cases: { name: string; samples_sha256: string; shuffle_idx_sha256: string; dataset_len: number }[];
    }
  ).cases.map((c) => [c.name, c]),
);
const BY_DOCS = (
  JSON.parse(readFileSync(fixture("blending.json"), "utf8")) as {
    by_num_docs: { counts: number[]; alpha: number; weights: number[] }[];
  }
).by_num_docs;

const tmp = mkdtempSync(join(tmpdir(), "neox-args-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const prefix = join(tmp, "case-random-60-docs");
for (const ext of [".bin", ".idx"]) copyFileSync(fixture(`case-random-60-docs${ext}`), prefix + ext);

describe("requestedSamples", () => {
  it("train = iters·batch, valid = (iters // eval_interval + 1)·eval_iters·batch, test = eval_iters·batch", () => {
    expect(
      requestedSamples({
        seq_length: 8,
        seed: 1,
        train_iters: 100,
        train_batch_size: 8,
        eval_interval: 30,
        eval_iters: 5,
      }),
    ).toEqual([800, 160, 40]);
    expect(requestedSamples({ seq_length: 8, seed: 1, train_epochs: 1, train_batch_size: 8 })).toEqual([
      null,
      null,
      null,
    ]);
    expect(() => requestedSamples({ seq_length: 8, seed: 1, train_batch_size: 8 })).toThrow(
      /train_iters or train_epochs/,
    );
  });
});

describe("buildNeoxDataset from data_path + split", () => {
  const base = {
    data_path: prefix,
    split: "8/1/1",
    seq_length: 8,
    seed: 1234,
    train_iters: 1,
    train_batch_size: 6,
    eval_interval: 1000,
    eval_iters: 5,
  };

  for (const [which, name] of [
    ["valid", "split-valid"],
    ["test", "split-test"],
  ] as const) {
    it(`the ${which} dataset matches the numpy reference`, () => {
      const built = buildNeoxDataset(base, which, { indexDir: false })!;
      expect(built.numSamples).toBe(30);
      const want = CASES.get(name)!;
      expect(built.dataset.length).toBe(want.dataset_len);
      expect(sha256Int64(built.components[0]!.dataset.shuffleIdx)).toBe(want.shuffle_idx_sha256);
      expect(digestSamples(built.dataset, 30).samples_sha256).toBe(want.samples_sha256);
      built.close();
    });
  }

  it("an empty split range gives no dataset, as GPT-NeoX skips it", () => {
    expect(buildNeoxDataset({ ...base, split: "100" }, "valid", { indexDir: false })).toBeNull();
  });

  it("refuses pack_impl and dataset_impl it does not implement", () => {
    expect(() => buildNeoxDataset({ ...base, pack_impl: "unpacked" }, "train")).toThrow(
      /pack_impl "unpacked" is not supported/,
    );
    expect(() => buildNeoxDataset({ ...base, dataset_impl: "pairwise" }, "train")).toThrow(
      /dataset_impl "pairwise"/,
    );
  });
});

describe("weight_by_num_documents", () => {
  for (const c of BY_DOCS) {
    it(`counts [${c.counts.join(", ")}], alpha ${c.alpha}`, () => {
      expect(weightsByNumDocs(c.counts, c.alpha)).toEqual(c.weights);
    });
  }
});
