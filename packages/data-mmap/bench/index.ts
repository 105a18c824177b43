// `pnpm bench:data` (this package's part): index build time and peak RSS for a Pythia-scale synthetic
// dataset (10M documents, 146,432,000 samples of 2049 tokens), and random sample reads per second, each
// next to GPT-NeoX's numpy path on the same files (bench/anchor.py, /usr/bin/python3 with numpy).
// Writes `index_build` and `random_reads` into <repo>/bench-results/data.json (read, merge, write).
// `--small` runs a 100x smaller build for a quick check.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeIdxHeader, GPT2Dataset, IndexedDataset, IndexedDatasetWriter } from "../src/index";
import { encodeInt64 } from "../src/int64";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../../..");
const small = process.argv.includes("--small");
const DOCS = small ? 100_000 : 10_000_000;
const SAMPLES = small ? 1_464_320 : 146_432_000; // Pythia: 143,000 iterations x 1,024
const SEQ = 2048;
const SEED = 1234;
const MAX_DOC = 45_000; // uniform 1..45,000 tokens: ~225B tokens, so 2 epochs as Pythia's deduplicated run

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** A synthetic .idx (real sizes/pointers/doc_idx) over a sparse .bin of the right length. */
function writeSyntheticIdx(prefix: string, docs: number): number {
  const rand = lcg(7);
  const fd = openSync(`${prefix}.idx`, "w");
  writeSync(fd, encodeIdxHeader("uint16", docs, docs + 1));
  const CH = 1 << 20;
  const sizes = new Int32Array(docs);
  for (let i = 0; i < docs; i++) sizes[i] = 1 + (rand() % MAX_DOC);
  writeSync(fd, new Uint8Array(sizes.buffer));
  const vals = new Float64Array(CH);
  const bytes = new Uint8Array(8 * CH);
  let ptr = 0;
  for (let s = 0; s < docs; s += CH) {
    const n = Math.min(CH, docs - s);
    for (let k = 0; k < n; k++) {
      vals[k] = ptr;
      ptr += 2 * sizes[s + k]!;
    }
    encodeInt64(vals, 0, n, bytes);
    writeSync(fd, bytes, 0, 8 * n);
  }
  for (let s = 0; s <= docs; s += CH) {
    const n = Math.min(CH, docs + 1 - s);
    for (let k = 0; k < n; k++) vals[k] = s + k;
    encodeInt64(vals, 0, n, bytes);
    writeSync(fd, bytes, 0, 8 * n);
  }
  closeSync(fd);
  closeSync(openSync(`${prefix}.bin`, "w"));
  truncateSync(`${prefix}.bin`, ptr); // sparse: the build reads only sizes
  return ptr / 2;
}

function sha256File(path: string, skip = 0): string {
  const h = createHash("sha256");
  const fd = openSync(path, "r");
  const buf = new Uint8Array(1 << 24);
  let pos = skip;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
    pos += n;
  }
  closeSync(fd);
  return h.digest("hex");
}

interface AnchorResult {
  seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
  samples_per_second: number;
}

function anchor(args: string[]): AnchorResult | null {
  const r = spawnSync("/usr/bin/python3", [join(HERE, "anchor.py"), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    process.stderr.write(
      `anchor skipped: /usr/bin/python3 anchor.py ${args[0]} failed: ${r.stderr || r.error}\n`,
    );
    return null;
  }
  return JSON.parse(r.stdout) as AnchorResult;
}

const work = mkdtempSync(join(process.env.NEOX_BENCH_DIR ?? tmpdir(), "neox-bench-data-"));
try {
  // ---- index_build ---------------------------------------------------------------------------
  const prefix = join(work, "pythia_text_document");
  const tokens = writeSyntheticIdx(prefix, DOCS);
  const indexed = IndexedDataset.open(prefix);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const ds = GPT2Dataset.build(indexed, {
    name: "train",
    numSamples: SAMPLES,
    seqLength: SEQ,
    seed: SEED,
    indexDir: work,
  });
  const buildSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const buildCpu = (cpu.user + cpu.system) / 1e6;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const files = ds.index.files!;
  ds.close();
  indexed.close();
  const a = anchor(["build", prefix, String(SAMPLES), String(SEQ), String(SEED), work]);
  let identical: boolean | null = null;
  if (a) {
    identical =
      sha256File(files.docIdx) === sha256File(join(work, "anchor_doc_idx.npy")) &&
      sha256File(files.shuffleIdx) === sha256File(join(work, "anchor_shuffle_idx.npy")) &&
      sha256File(files.sampleIdx) === sha256File(join(work, "anchor_sample_idx.npy"));
  }
  for (const f of [
    ...Object.values(files),
    ...["doc", "sample", "shuffle"].map((k) => join(work, `anchor_${k}_idx.npy`)),
  ]) {
    rmSync(f, { force: true });
  }
  rmSync(`${prefix}.bin`);
  rmSync(`${prefix}.idx`);

  // ---- random_reads ----------------------------------------------------------------------------
  const rp = join(work, "reads_text_document");
  const rand = lcg(11);
  const w = IndexedDatasetWriter.create(rp, { vocabSize: 50277 });
  const doc = new Uint16Array(4000);
  const tw = performance.now();
  let written = 0;
  for (let d = 0; d < 50_000; d++) {
    const n = 1 + (rand() % 4000);
    for (let k = 0; k < n; k++) doc[k] = rand() % 50277;
    w.addDocument(doc.subarray(0, n));
    written += n;
  }
  w.finalize();
  const writeSeconds = (performance.now() - tw) / 1000;
  const rds = IndexedDataset.open(rp);
  const rset = GPT2Dataset.build(rds, {
    name: "train",
    numSamples: 40_000,
    seqLength: SEQ,
    seed: SEED,
    indexDir: work,
  });
  const COUNT = 20_000;
  const pick = lcg(3);
  const out = new Int32Array(SEQ + 1);
  const tr = performance.now();
  for (let i = 0; i < COUNT; i++) rset.getItem(pick() % rset.length, out);
  const readSeconds = (performance.now() - tr) / 1000;
  const stem = rset.index.files!.docIdx.replace(/_doc_idx\.npy$/, "");
  rset.close();
  rds.close();
  const ar = anchor(["reads", rp, stem, String(SEQ), String(COUNT), "3"]);

  // ---- report ----------------------------------------------------------------------------------
  const rate = COUNT / readSeconds;
  const results = {
    index_build: {
      documents: DOCS,
      tokens,
      num_samples: SAMPLES,
      seq_length: SEQ,
      seconds: buildSeconds,
      cpu_seconds: buildCpu,
      peak_rss_mb: peakMb,
      anchor: "GPT-NeoX numpy path (RandomState.shuffle, vectorised sample_idx, np.save)",
      anchor_seconds: a?.seconds ?? null,
      anchor_cpu_seconds: a?.cpu_seconds ?? null,
      anchor_peak_rss_mb: a?.peak_rss_mb ?? null,
      ratio_time_vs_anchor: a ? buildSeconds / a.seconds : null,
      ratio_cpu_vs_anchor: a ? buildCpu / a.cpu_seconds : null,
      identical_to_anchor: identical,
    },
    random_reads: {
      seq_length: SEQ,
      samples: COUNT,
      samples_per_second: rate,
      anchor: "GPT-NeoX GPT2Dataset.__getitem__ over np.memmap",
      anchor_samples_per_second: ar?.samples_per_second ?? null,
      ratio_vs_anchor: ar ? rate / ar.samples_per_second : null,
    },
    dataset_write: { tokens: written, seconds: writeSeconds, tokens_per_second: written / writeSeconds },
  };
  const fmt = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? "-" : x.toFixed(d));
  const rows = [
    ["what", "neox-ts", "anchor", "ratio"],
    [
      `index build (${DOCS} docs, ${SAMPLES} samples), s`,
      fmt(buildSeconds),
      fmt(a?.seconds),
      `${fmt(results.index_build.ratio_time_vs_anchor)}x time`,
    ],
    [
      `index build CPU time, s`,
      fmt(buildCpu),
      fmt(a?.cpu_seconds),
      `${fmt(results.index_build.ratio_cpu_vs_anchor)}x CPU`,
    ],
    ["index build peak RSS, MB", fmt(peakMb, 0), fmt(a?.peak_rss_mb, 0), ""],
    ["index identical to numpy's", String(identical ?? "-"), "", ""],
    [
      "random sample reads, samples/s",
      fmt(rate, 0),
      fmt(ar?.samples_per_second, 0),
      `${fmt(results.random_reads.ratio_vs_anchor)}x`,
    ],
    ["dataset write, Mtokens/s", fmt(written / writeSeconds / 1e6), "", ""],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));

  const outDir = join(REPO, "bench-results");
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "data.json");
  const merged = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  Object.assign(merged, results);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(tmp, path);
  console.log(`wrote ${path}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
