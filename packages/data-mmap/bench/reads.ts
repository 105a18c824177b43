// Random sample reads, run by bench/index.ts in a process of its own so that nothing left by the index
// build (a Pythia-scale build leaves about 700 MB of typed arrays for the garbage collector) is freed
// inside the timed loop: done in the build's process, that release landed in the first pass and
// halved its rate (packages/data-mmap/README.md, "Benchmark").
//
// Writes WORK/reads_text_document (50,000 documents of 1..4,000 uint16 tokens, ~100M tokens, ~200 MB),
// builds its index (2,048-token samples, as the Pythia configs) and closes it, then opens the data and
// the index from its .npy caches as a training run and the numpy anchor do. The sample indices (uniform
// over the dataset) go to WORK/reads_samples.i32 so that the anchor reads exactly the same samples.
// Protocol, the same on both sides: WARMUP untimed reads (JIT compilation, first touch of the page
// cache), then PASSES timed passes of PER_PASS reads, each pass timed in wall and CPU time.
// usage: reads.ts WORK   -> prints one JSON object (ReadsResult)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GPT2Dataset, IndexedDataset, IndexedDatasetWriter } from "../src/index";

const SEQ = 2048;
const SEED = 1234;
const WARMUP = 5_000;
const PASSES = 5;
const PER_PASS = 20_000;
const DOCS = 50_000;
const MAX_DOC = 4_000;

export interface Pass {
  seconds: number;
  cpu_seconds: number;
}

export interface ReadsResult {
  seq_length: number;
  warmup_samples: number;
  samples_per_pass: number;
  prefix: string;
  /** Cache stem of the index (…_indexmap_…pi_ac), what the anchor loads. */
  stem: string;
  samples_file: string;
  length: number;
  bin_bytes: number;
  write: { tokens: number; seconds: number };
  warmup: Pass;
  passes: Pass[];
  /** Sum of every token of the first timed pass: both sides must read the same samples. */
  token_sum: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function writeDataset(prefix: string): { tokens: number; seconds: number } {
  const rand = lcg(11);
  const t0 = performance.now();
  const w = IndexedDatasetWriter.create(prefix, { vocabSize: 50277 });
  const doc = new Uint16Array(MAX_DOC);
  let tokens = 0;
  for (let d = 0; d < DOCS; d++) {
    const n = 1 + (rand() % MAX_DOC);
    for (let k = 0; k < n; k++) doc[k] = rand() % 50277;
    w.addDocument(doc.subarray(0, n));
    tokens += n;
  }
  w.finalize();
  return { tokens, seconds: (performance.now() - t0) / 1000 };
}

function timed(fn: () => void): Pass {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpu_seconds: (c.user + c.system) / 1e6 };
}

function main(work: string): ReadsResult {
  const prefix = join(work, "reads_text_document");
  const write = writeDataset(prefix);
  const options = { name: "train", numSamples: 40_000, seqLength: SEQ, seed: SEED, indexDir: work };
  const building = IndexedDataset.open(prefix);
  GPT2Dataset.build(building, options).close();
  building.close();

  const data = IndexedDataset.open(prefix);
  const ds = GPT2Dataset.build(data, options);
  if (ds.index.built) throw new Error(`${prefix}: the index was rebuilt instead of loaded from its caches`);
  // Uniform draws from the high bits of a 32-bit LCG (its low bits have short periods).
  const pick = lcg(3);
  const samples = new Int32Array(WARMUP + PASSES * PER_PASS);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.floor((pick() / 2 ** 32) * ds.length);
  const samplesFile = join(work, "reads_samples.i32");
  writeFileSync(samplesFile, new Uint8Array(samples.buffer));

  const out = new Int32Array(SEQ + 1);
  const warmup = timed(() => {
    for (let i = 0; i < WARMUP; i++) ds.getItem(samples[i]!, out);
  });
  let tokenSum = 0;
  const passes: Pass[] = [];
  for (let p = 0; p < PASSES; p++) {
    const from = WARMUP + p * PER_PASS;
    passes.push(
      timed(() => {
        for (let i = from; i < from + PER_PASS; i++) ds.getItem(samples[i]!, out);
      }),
    );
    if (p === 0) {
      // Summed after timing, by reading the first pass again, so the timed loop holds only the read.
      for (let i = from; i < from + PER_PASS; i++) {
        ds.getItem(samples[i]!, out);
        for (let k = 0; k < out.length; k++) tokenSum += out[k]!;
      }
    }
  }
  const result: ReadsResult = {
    seq_length: SEQ,
    warmup_samples: WARMUP,
    samples_per_pass: PER_PASS,
    prefix,
    stem: ds.index.files!.docIdx.replace(/_doc_idx\.npy$/, ""),
    samples_file: samplesFile,
    length: ds.length,
    bin_bytes: data.binBytes,
    write,
    warmup,
    passes,
    token_sum: tokenSum,
  };
  ds.close();
  data.close();
  return result;
}

const work = process.argv[2];
if (!work) throw new Error("usage: reads.ts WORK_DIR (run by bench/index.ts)");
process.stdout.write(`${JSON.stringify(main(work))}\n`);
