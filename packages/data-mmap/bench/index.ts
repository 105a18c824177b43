// `pnpm bench:data` (this package's part): index build time and peak RSS for a Pythia-scale synthetic
// dataset (10M documents, 146,432,000 samples of 2049 tokens), and random sample reads per second
// (bench/reads.ts, in a process of its own), each next to GPT-NeoX's numpy path on the same files
// (bench/anchor.py under /usr/bin/python3; needs Debian python3-numpy, which `pnpm install` does not
// install: without it the anchor columns say so and our own rows still run). Everything is single
// threaded on both sides. Prints the machine, the units and a table; writes `machine`, `index_build`,
// `random_reads` and `dataset_write` into <repo>/bench-results/data.json (read, merge, write).
// `--small` runs a 100x smaller index build for a quick check (the reads are the same).
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
import { encodeIdxHeader, GPT2Dataset, IndexedDataset } from "../src/index";
import { encodeInt64 } from "../src/int64";
import { describeMachine, machine, numpyStatus, PYTHON } from "./machine";
import type { Pass, ReadsResult } from "./reads";

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

interface BuildAnchor {
  seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
}
interface ReadsAnchor {
  warmup: Pass;
  passes: Pass[];
  token_sum: number;
}

/** Runs anchor.py; null (with the reason on stderr) when it fails. */
function anchor<T>(args: string[]): T | null {
  const r = spawnSync(PYTHON, [join(HERE, "anchor.py"), ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`numpy anchor ${args[0]} failed: ${r.stderr || r.error}\n`);
    return null;
  }
  return JSON.parse(r.stdout) as T;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** Samples per second of the median pass, by wall clock and by CPU time. */
function rates(passes: Pass[], perPass: number): { wall: number; cpu: number; min: number; max: number } {
  const walls = passes.map((p) => perPass / p.seconds);
  return {
    wall: perPass / median(passes.map((p) => p.seconds)),
    cpu: perPass / median(passes.map((p) => p.cpu_seconds)),
    min: Math.min(...walls),
    max: Math.max(...walls),
  };
}

const host = machine();
const numpy = numpyStatus();
const anchorRuns = "version" in numpy;
console.log(`data-mmap bench: ${describeMachine(host)}`);
console.log(
  anchorRuns
    ? `anchor: GPT-NeoX's numpy path, ${PYTHON} with numpy ${numpy.version}`
    : `anchor: not run: ${numpy.missing}`,
);
console.log(
  "threads: 1 on each side (our JS main thread; one Python thread, numpy does no multithreaded work here)",
);
console.log(
  "units: s = wall-clock seconds; CPU s = user + system seconds; MiB = 2^20 bytes; a sample = 2049 tokens (seq_length 2048 + 1); Mtokens = 10^6 tokens",
);

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
  const a = anchorRuns
    ? anchor<BuildAnchor>(["build", prefix, String(SAMPLES), String(SEQ), String(SEED), work])
    : null;
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

  // ---- random_reads: a fresh process (see reads.ts), then the anchor on the same files and samples ----
  const child = spawnSync(process.execPath, [...process.execArgv, join(HERE, "reads.ts"), work], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`bench/reads.ts failed (exit ${child.status})`);
  const ours = JSON.parse(child.stdout) as ReadsResult;
  const PER_PASS = ours.samples_per_pass;
  const ar = anchorRuns
    ? anchor<ReadsAnchor>([
        "reads",
        ours.prefix,
        ours.stem,
        String(ours.seq_length),
        ours.samples_file,
        String(ours.warmup_samples),
        String(ours.passes.length),
        String(PER_PASS),
      ])
    : null;
  const r = rates(ours.passes, PER_PASS);
  const rAnchor = ar ? rates(ar.passes, PER_PASS) : null;

  // ---- report ----------------------------------------------------------------------------------
  const written = ours.write.tokens / ours.write.seconds;
  const missing = anchorRuns ? "failed" : "not run";
  const results = {
    machine: {
      ...host,
      numpy: anchorRuns ? numpy.version : null,
      anchor_missing: anchorRuns ? null : numpy.missing,
    },
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
      protocol:
        "fresh process; index loaded from its .npy caches; page cache warm; the same sample indices on both sides; warm-up reads untimed, then timed passes; rate = samples / median pass",
      seq_length: ours.seq_length,
      dataset_samples: ours.length,
      bin_bytes: ours.bin_bytes,
      warmup_samples: ours.warmup_samples,
      passes: ours.passes.length,
      samples_per_pass: PER_PASS,
      samples_per_second: r.wall,
      samples_per_cpu_second: r.cpu,
      pass_rates: ours.passes.map((p) => PER_PASS / p.seconds),
      warmup_samples_per_second: ours.warmup_samples / ours.warmup.seconds,
      anchor: "GPT-NeoX GPT2Dataset.__getitem__ over np.memmap",
      anchor_samples_per_second: rAnchor?.wall ?? null,
      anchor_samples_per_cpu_second: rAnchor?.cpu ?? null,
      anchor_pass_rates: ar ? ar.passes.map((p) => PER_PASS / p.seconds) : null,
      anchor_warmup_samples_per_second: ar ? ours.warmup_samples / ar.warmup.seconds : null,
      ratio_vs_anchor: rAnchor ? r.wall / rAnchor.wall : null,
      ratio_cpu_vs_anchor: rAnchor ? r.cpu / rAnchor.cpu : null,
      same_tokens_as_anchor: ar ? ar.token_sum === ours.token_sum : null,
    },
    dataset_write: { tokens: ours.write.tokens, seconds: ours.write.seconds, tokens_per_second: written },
  };
  const fmt = (x: number | null | undefined, d = 2) =>
    x === null || x === undefined ? missing : x.toFixed(d);
  const ratio = (x: number | null, what: string) => (x === null ? "" : `${x.toFixed(2)}x ${what}`);
  const rows = [
    ["what", "neox-ts", "numpy anchor", "ours vs anchor"],
    [
      `index build (${DOCS} docs, ${SAMPLES} samples), s`,
      fmt(buildSeconds),
      fmt(a?.seconds),
      ratio(results.index_build.ratio_time_vs_anchor, "the time"),
    ],
    [
      "index build, CPU s",
      fmt(buildCpu),
      fmt(a?.cpu_seconds),
      ratio(results.index_build.ratio_cpu_vs_anchor, "the CPU time"),
    ],
    ["index build peak RSS, MiB", fmt(peakMb, 0), fmt(a?.peak_rss_mb, 0), ""],
    ["index identical to numpy's", identical === null ? missing : String(identical), "", ""],
    [
      `random sample reads, samples/s (median of ${ours.passes.length} x ${PER_PASS})`,
      fmt(r.wall, 0),
      fmt(rAnchor?.wall, 0),
      ratio(results.random_reads.ratio_vs_anchor, "the rate"),
    ],
    [
      "  passes, slowest..fastest, samples/s",
      `${r.min.toFixed(0)}..${r.max.toFixed(0)}`,
      rAnchor ? `${rAnchor.min.toFixed(0)}..${rAnchor.max.toFixed(0)}` : missing,
      "",
    ],
    [
      "random sample reads, samples per CPU s",
      fmt(r.cpu, 0),
      fmt(rAnchor?.cpu, 0),
      ratio(results.random_reads.ratio_cpu_vs_anchor, "the rate"),
    ],
    [
      "same tokens read as the anchor",
      ar ? String(results.random_reads.same_tokens_as_anchor) : missing,
      "",
      "",
    ],
    ["dataset write (fsynced), Mtokens/s", fmt(written / 1e6), "", ""],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log(
    `\nrandom reads: ${ours.length} samples over a ${(ours.bin_bytes / 2 ** 20).toFixed(0)} MiB .bin in the page cache; each side a fresh process with the index loaded from its .npy caches, the same ${ours.warmup_samples} warm-up samples (untimed) and ${ours.passes.length} x ${PER_PASS} timed ones`,
  );
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));
  if (!anchorRuns) console.log(`numpy anchor not run: ${numpy.missing}`);
  // A single-threaded read loop gets ~1 CPU-second per second unless other work takes the CPU.
  const busy = [r, rAnchor].some((x) => x !== null && x.wall < 0.8 * x.cpu);
  if (busy) {
    console.log(
      "note: wall-clock read rates are well below the CPU-time rates: other work took the CPU during the passes; compare the CPU-time row",
    );
  }

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
