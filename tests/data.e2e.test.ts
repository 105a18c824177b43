// `neox data inspect|samples` run as a user runs them. Expected fingerprints come from the numpy
// re-implementation of GPT-NeoX's index building (tools/fixtures/data/make_fixtures.py), and the datasets
// from the independent numpy .bin/.idx writer (tools/fixtures/data/write_indexed.py).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runNeox } from "./helpers/run-neox";

const FIX = resolve(REPO_ROOT, "packages/data-mmap/test/fixtures");
const tmp = mkdtempSync(join(tmpdir(), "neox-data-e2e-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Fingerprint {
  dataset_len: number;
  num_epochs: number;
  doc_idx_sha256: string;
  sample_idx_sha256: string;
  shuffle_idx_sha256: string;
  samples_sha256: string;
  first_samples: number[][];
}
const CASES = new Map(
  (
    JSON.parse(readFileSync(join(FIX, "index-cases.json"), "utf8")).cases as (Fingerprint & {
      name: string;
    })[]
  ).map((c) => [c.name, c]),
);
const BLEND = JSON.parse(readFileSync(join(FIX, "blending.json"), "utf8")).blend;

function dataset(name: string, dir = tmp): string {
  for (const ext of [".bin", ".idx"]) copyFileSync(join(FIX, name + ext), join(dir, name + ext));
  return join(dir, name);
}

function json(args: string[]): Record<string, unknown> {
  const r = runNeox(args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function expectFingerprint(got: Record<string, unknown>, want: Fingerprint): void {
  for (const k of [
    "dataset_len",
    "num_epochs",
    "doc_idx_sha256",
    "sample_idx_sha256",
    "shuffle_idx_sha256",
    "samples_sha256",
    "first_samples",
  ] as const) {
    expect(got[k], k).toEqual(want[k]);
  }
}

describe("neox data inspect", () => {
  it("reports counts, dtype and a size histogram of a numpy-written dataset", () => {
    const spec = JSON.parse(readFileSync(join(FIX, "corpus-u16.json"), "utf8")) as {
      documents: (number[] | { items: number[][] })[];
    };
    const items = spec.documents.flatMap((d) => (Array.isArray(d) ? [d] : d.items));
    const out = json(["data", "inspect", dataset("corpus-u16"), "--json"]);
    expect(out.dtype).toBe("uint16");
    expect(out.items).toBe(items.length);
    expect(out.documents).toBe(spec.documents.length);
    expect(out.tokens).toBe(items.reduce((a, x) => a + x.length, 0));
    expect(out.empty_items).toBe(items.filter((x) => x.length === 0).length);
    const hist = out.size_histogram as { count: number }[];
    expect(hist.reduce((a, b) => a + b.count, 0)).toBe(items.length);
  });

  it("prints a readable table without --json", () => {
    const r = runNeox(["data", "inspect", dataset("case-worked-example")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/documents\s+4/);
    expect(r.stdout).toMatch(/tokens\s+17/);
  });

  it("names the file and offset of a truncated index", () => {
    const p = dataset("corpus-u8", mkdtempSync(join(tmp, "trunc-")));
    truncateSync(`${p}.idx`, 60);
    const r = runNeox(["data", "inspect", p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/corpus-u8\.idx: doc_idx \(file truncated\) at byte 60/);
  });
});

describe("neox data samples PREFIX", () => {
  it("the neox-spec §2b worked example", () => {
    const out = json([
      "data",
      "samples",
      dataset("case-worked-example"),
      "--seq-length",
      "4",
      "--seed",
      "1234",
      "--num-samples",
      "6",
      "--json",
    ]);
    expectFingerprint(out, CASES.get("worked-example")!);
    expect((out.first_samples as number[][])[0]).toEqual([3, 4, 0, 1, 2]);
  });

  it("builds the .npy caches once, under GPT-NeoX's names in --index-dir, then reuses them", () => {
    const dir = mkdtempSync(join(tmp, "idx-"));
    const args = [
      "data",
      "samples",
      dataset("case-random-60-docs"),
      "--seq-length",
      "16",
      "--seed",
      "7",
      "--num-samples",
      "40",
      "--index-dir",
      dir,
      "--json",
    ];
    const first = json(args);
    expectFingerprint(first, CASES.get("random-60-docs")!);
    expect(first.index_reused).toBe(false);
    expect((first.index_files as Record<string, string>).doc_idx).toBe(
      join(dir, "case-random-60-docs_train_indexmap_40ns_16sl_7s_packedpi_ac_doc_idx.npy"),
    );
    const again = runNeox(args);
    expect(again.stderr).toMatch(/reusing index cache/);
    expect(JSON.parse(again.stdout).samples_sha256).toBe(first.samples_sha256);
  });

  it("selects a split range with --split and --name", () => {
    const p = dataset("case-random-60-docs", mkdtempSync(join(tmp, "split-")));
    const out = json([
      "data",
      "samples",
      p,
      "--seq-length",
      "8",
      "--seed",
      "1234",
      "--num-samples",
      "30",
      "--split",
      "8/1/1",
      "--name",
      "valid",
      "--json",
    ]);
    expectFingerprint(out, CASES.get("split-valid")!);
    expect(out.name).toBe("valid");
  });

  it("explains a missing flag and a missing dataset", () => {
    const r = runNeox(["data", "samples", join(tmp, "nope"), "--seed", "1", "--num-samples", "3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--seq-length is required/);
    const m = runNeox([
      "data",
      "samples",
      join(tmp, "nope"),
      "--seq-length",
      "8",
      "--seed",
      "1",
      "--num-samples",
      "3",
    ]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/nope\.idx: not found/);
  });
});

describe("neox data samples CONFIGS", () => {
  it("data_path + split: the train dataset with num_samples = train_iters × train_batch_size", () => {
    const dir = mkdtempSync(join(tmp, "cfg-"));
    const p = dataset("case-random-60-docs", dir);
    const cfg = join(dir, "data.yml");
    writeFileSync(
      cfg,
      [
        `data_path: ${p}`,
        `split: "969, 30, 1"`,
        "seq_length: 8",
        "seed: 1234",
        "train_iters: 5",
        "train_micro_batch_size_per_gpu: 3",
        "gradient_accumulation_steps: 2",
        "",
      ].join("\n"),
    );
    const out = json(["data", "samples", cfg, "--world-size", "1", "--json"]);
    expect(out.num_samples).toBe(30);
    expectFingerprint(out, CASES.get("split-train")!);
  });

  it("train_data_paths + train_data_weights: the weighted blend", () => {
    const dir = mkdtempSync(join(tmp, "blend-"));
    const a = dataset("blend-0", dir);
    const b = dataset("blend-1", dir);
    const cfg = join(dir, "blend.yml");
    const paths = `[${a}, ${b}]`;
    writeFileSync(
      cfg,
      [
        `train_data_paths: ${paths}`,
        `valid_data_paths: ${paths}`,
        `test_data_paths: ${paths}`,
        `train_data_weights: [${BLEND.weights.join(", ")}]`,
        `seq_length: ${BLEND.seq_length}`,
        `seed: ${BLEND.seed}`,
        "train_iters: 5",
        "train_batch_size: 5",
        "",
      ].join("\n"),
    );
    const out = json(["data", "samples", cfg, "--json"]);
    expect(out.num_samples).toBe(BLEND.num_samples);
    expect(out.dataset_len).toBe(BLEND.dataset_len);
    expect(out.dataset_index_sha256).toBe(BLEND.dataset_index_sha256);
    expect(out.dataset_sample_index_sha256).toBe(BLEND.dataset_sample_index_sha256);
    expect(out.samples_sha256).toBe(BLEND.samples_sha256);
    expect(out.first_samples).toEqual(BLEND.first_samples);
    const comps = out.components as { name: string; num_samples: number; shuffle_idx_sha256: string }[];
    expect(comps.map((c) => c.name)).toEqual(["train_0", "train_1"]);
    comps.forEach((c, k) => {
      expect(c.num_samples).toBe(BLEND.components[k].num_samples);
      expect(c.shuffle_idx_sha256).toBe(BLEND.components[k].shuffle_idx_sha256);
    });
  });
});
