// `neox data inspect|samples` run as a user runs them. Expected fingerprints come from the numpy
// re-implementation of GPT-NeoX's index building (tools/fixtures/data/make_fixtures.py), and the datasets
// from the independent numpy .bin/.idx writer (tools/fixtures/data/write_indexed.py).
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { IndexedDatasetWriter } from "@neox/data-mmap";
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

// Hostile and absurd input: each is refused with one line on stderr (a usage error adds the usage after
// it), no stack trace, a non-zero exit, and nothing written beside the data.
function oneLine(r: { code: number; stderr: string }, code: number, want: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split("\n").filter((l) => l.length > 0);
  expect(lines[0]).toMatch(want);
  if (code === 1) expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

/** A copy of case-random-60-docs with sizes[10] absurd, pointers[30] absurd and doc_idx[5] decreasing. */
function corrupted(dir: string): string {
  const p = dataset("case-random-60-docs", dir);
  const b = readFileSync(`${p}.idx`);
  const len = Number(b.readBigUInt64LE(18));
  b.writeInt32LE(2147483647, 34 + 4 * 10);
  b.writeBigInt64LE(2n ** 40n, 34 + 4 * len + 8 * 30);
  b.writeBigInt64LE(3n, 34 + 12 * len + 8 * 5);
  writeFileSync(`${p}.idx`, b);
  return p;
}

describe("neox data with a corrupt index", () => {
  it("inspect lists every problem, exits 1 with one line on stderr; --json carries them", () => {
    const p = corrupted(mkdtempSync(join(tmp, "corrupt-")));
    const r = runNeox(["data", "inspect", p]);
    oneLine(
      r,
      1,
      /^neox data inspect: .*case-random-60-docs: 3 problems; the first: .*\.idx: sizes\[10\] at byte 74: /,
    );
    expect(r.stdout).toMatch(/^problems \(3\):$/m);
    expect(r.stdout).toMatch(/pointers\[30\] at byte \d+: expected \d+ .*, found 1099511627776$/m);
    expect(r.stdout).toMatch(/doc_idx\[5\] at byte \d+: expected >= doc_idx\[4\] = 4 .*, found 3$/m);
    const j = runNeox(["data", "inspect", p, "--json"]);
    expect(j.code).toBe(1);
    const out = JSON.parse(j.stdout) as {
      problem_count: number;
      problems: { field: string; offset: number }[];
    };
    expect(out.problem_count).toBe(3);
    expect(out.problems.map((x) => x.field)).toEqual(["sizes[10]", "pointers[30]", "doc_idx[5]"]);
    expect(out.problems[0]!.offset).toBe(74);
  });

  it("samples refuses it before writing any cache", () => {
    const dir = mkdtempSync(join(tmp, "corrupt-samples-"));
    const p = corrupted(dir);
    const idx = mkdtempSync(join(tmp, "corrupt-idx-"));
    const base = ["data", "samples", p, "--seq-length", "8", "--seed", "1", "--num-samples", "5"];
    const r = runNeox([...base, "--index-dir", idx]);
    oneLine(
      r,
      1,
      /^neox data samples: .*\.idx: sizes\[10\] at byte 74: .*\(and 2 more problems in this index\); `neox data inspect` lists every problem/,
    );
    expect(readdirSync(idx)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(["case-random-60-docs.bin", "case-random-60-docs.idx"]);
  });

  it("a header that is not an index is one problem, not a crash", () => {
    const p = dataset("corpus-u8", mkdtempSync(join(tmp, "header-")));
    writeFileSync(`${p}.idx`, "MMIDIDX\0\0 but then nothing sensible");
    const r = runNeox(["data", "inspect", p, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems[0].field).toBe("version");
    oneLine(r, 1, /^neox data inspect: .*corpus-u8: 1 problem: .*\.idx: version at byte 9: /);
  });
});

describe("neox data with paths that are not regular files", () => {
  it("a .bin that is a FIFO is refused at once instead of blocking open(2)", () => {
    const d = mkdtempSync(join(tmp, "fifo-"));
    const p = dataset("corpus-u8", d);
    rmSync(`${p}.bin`);
    expect(spawnSync("mkfifo", [`${p}.bin`]).status).toBe(0);
    oneLine(
      runNeox(["data", "inspect", p]),
      1,
      /^neox data inspect: .*corpus-u8\.bin: a FIFO \(named pipe\), not a regular file$/,
    );
  });
});

describe("neox data samples with absurd arguments", () => {
  const dir = mkdtempSync(join(tmp, "absurd-"));
  const p = dataset("case-random-60-docs", dir);
  const tokens = Number(json(["data", "inspect", p, "--json"]).tokens);
  const run = (flags: Record<string, string>) =>
    runNeox([
      "data",
      "samples",
      p,
      ...Object.entries({ "--seq-length": "8", "--seed": "1", "--num-samples": "5", ...flags }).flat(),
    ]);

  it("a --seq-length longer than all the tokens, naming the largest the documents serve", () => {
    oneLine(
      run({ "--seq-length": "100000000" }),
      1,
      new RegExp(
        `^neox data samples: --seq-length 100000000: documents \\[0, 60\\) of .* hold ${tokens} tokens, .*; the largest --seq-length they serve is ${tokens - 1}$`,
      ),
    );
  });

  it("a --num-samples beyond 2^53 tokens, naming the largest this machine serves", () => {
    oneLine(
      run({ "--num-samples": "9007199254740991" }),
      1,
      /^neox data samples: --num-samples 9007199254740991: num_samples × seq_length \(8\) is beyond 2\^53 tokens.*; the largest num_samples that fits is \d+ \(dataset .*, train\)$/,
    );
  });

  it("numbers that are not decimal integers, or out of range", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { "--num-samples": "1e15" },
        /--num-samples expects an integer >= 0 written in decimal digits, got "1e15"/,
      ],
      [{ "--num-samples": "0x10" }, /got "0x10"/],
      [{ "--num-samples": "-5" }, /got "-5"/],
      [
        { "--seq-length": "8.5" },
        /--seq-length expects an integer >= 2 written in decimal digits, got "8.5"/,
      ],
      [{ "--seq-length": "NaN" }, /got "NaN"/],
      [{ "--seq-length": "1" }, /--seq-length expects an integer >= 2, got 1/],
      [{ "--seed": "" }, /--seed expects an integer >= 0 written in decimal digits, got ""/],
      [{ "--seed": "4294967296" }, /--seed 4294967296 is beyond 4294967295/],
      [{ "--num-samples": "99999999999999999999" }, /--num-samples 99999999999999999999 is beyond 2\^53/],
    ];
    for (const [flags, want] of cases)
      oneLine(run(flags), 2, new RegExp(`^neox data samples: .*${want.source}`));
    expect(readdirSync(dir).filter((f) => f.endsWith(".npy") || f.includes(".tmp-"))).toEqual([]);
  });

  it("datasets with no items or no tokens", () => {
    const d = mkdtempSync(join(tmp, "empty-"));
    IndexedDatasetWriter.create(join(d, "none"), { dtype: "uint16" }).finalize();
    const w = IndexedDatasetWriter.create(join(d, "blank"), { dtype: "uint16" });
    for (let i = 0; i < 3; i++) w.addDocument([]);
    w.finalize();
    expect(runNeox(["data", "inspect", join(d, "none")]).code).toBe(0);
    const args = ["--seq-length", "8", "--seed", "1", "--num-samples", "5"];
    oneLine(
      runNeox(["data", "samples", join(d, "none"), ...args]),
      1,
      /^neox data samples: documents \[0, 0\): the dataset has no items, so there is nothing to sample/,
    );
    oneLine(
      runNeox(["data", "samples", join(d, "blank"), ...args]),
      1,
      /^neox data samples: documents \[0, 3\): hold 0 token\(s\); a GPT2Dataset needs at least 2/,
    );
    expect(readdirSync(d).filter((f) => f.endsWith(".npy"))).toEqual([]);
  });

  it("blend weights that are negative, 0 or not a number, from a config", () => {
    const d = mkdtempSync(join(tmp, "weights-"));
    const a = dataset("blend-0", d);
    const b = dataset("blend-1", d);
    const cfg = (weights: string) => {
      const f = join(d, `w${Math.random().toString(36).slice(2)}.yml`);
      writeFileSync(
        f,
        [
          `train_data_paths: [${a}, ${b}]`,
          `valid_data_paths: [${a}]`,
          `test_data_paths: [${a}]`,
          `train_data_weights: ${weights}`,
          "seq_length: 8",
          "seed: 1",
          "train_iters: 2",
          "train_batch_size: 2",
          "",
        ].join("\n"),
      );
      return f;
    };
    const cases: [string, RegExp][] = [
      ["[1, -0.5]", /^neox data samples: train_data_weights\[1\] -0\.5: expected a finite number > 0/],
      ["[0, 1]", /^neox data samples: train_data_weights\[0\] 0: a weight of 0 still draws from the dataset/],
      // the config layer already refuses NaN, naming the file and line
      ["[1, .nan]", /^neox data samples: .*\.yml:\d+: .*train_data_weights.*NaN/],
    ];
    for (const [weights, want] of cases) oneLine(runNeox(["data", "samples", cfg(weights)]), 1, want);
    oneLine(
      runNeox([
        "data",
        "samples",
        cfg("[1, 1]"),
        "--set",
        "train_iters=4000000000",
        "--set",
        "train_batch_size=100",
      ]),
      1,
      /^neox data samples: num_samples \(train_iters × train_batch_size\) \d+: .*; the largest num_samples that fits is \d+ \(dataset .*, train_0\)$/,
    );
    expect(readdirSync(d).filter((f) => f.endsWith(".npy"))).toEqual([]);
  });
});
