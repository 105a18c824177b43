// Benchmark: `neox prepare-data` end to end (read JSONL, tokenize on worker threads, write .bin/.idx)
// against the raw encode rate of Hugging Face's native `tokenizers` on the same text and thread count,
// for GPT-2 and GPT-NeoX-20B. Goals: end to end >= 0.9x native at equal workers (our engine is pure
// JavaScript, so this also covers the pure-JS goal of >= 0.5x). Prints a table and merges a
// `prepare_data` section into <repo>/bench-results/data.json.
// usage: pnpm --filter @neox/app-prepare-data bench   (or pnpm bench:data from the root)

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultTokenizerFiles } from "@neox/tokenize";
import type { PrepareArgs } from "../src/args";
import { prepareData } from "../src/run";
import { assembleCorpus } from "./corpus";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../../..");
const SHARED = resolve(REPO, "../shared/data");
const WORK = join(tmpdir(), "neox-bench-prepare-data");
const MIN_BYTES = 50e6;

const gpt2 = defaultTokenizerFiles();
const TOKENIZERS = [
  {
    name: "GPT-2 (GPT2BPETokenizer)",
    key: "gpt2",
    args: { tokenizerType: "GPT2BPETokenizer", vocabFile: gpt2.vocabFile, mergeFile: gpt2.mergeFile },
    native: join(SHARED, "tokenizers/gpt2/tokenizer.json"),
  },
  {
    name: "GPT-NeoX-20B (HFTokenizer)",
    key: "gpt-neox-20b",
    args: {
      tokenizerType: "HFTokenizer",
      vocabFile: join(SHARED, "tokenizers/gpt-neox-20b/tokenizer.json"),
      mergeFile: undefined,
    },
    native: join(SHARED, "tokenizers/gpt-neox-20b/tokenizer.json"),
  },
];
const WORKERS = [1, 2];

if (!existsSync(SHARED)) {
  console.error(`prepare-data bench: ${SHARED} is missing (tokenizers and corpora live there)`);
  process.exit(2);
}
const corpus = assembleCorpus(SHARED, WORK);
const mb = corpus.textBytes / 1e6;
console.log(
  `corpus: ${mb.toFixed(1)} MB of text in ${corpus.docs} documents from ${corpus.parts.map((p) => `${p.name} ${(p.bytes / 1e6).toFixed(1)} MB`).join(", ")}`,
);
if (corpus.missing.length > 0) console.log(`missing sources: ${corpus.missing.join("; ")}`);
if (corpus.textBytes < MIN_BYTES) {
  console.error(
    `prepare-data bench: only ${mb.toFixed(1)} MB of text; install the Debian packages: apt-get install -y dict-gcide bible-kjv bible-kjv-text jargon-text fortunes fortunes-min`,
  );
  process.exit(2);
}

const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

async function ours(
  tk: (typeof TOKENIZERS)[number],
  workers: number,
): Promise<{ seconds: number; tokens: number }> {
  const args: PrepareArgs = {
    input: [corpus.path],
    jsonlKeys: ["text"],
    numDocs: undefined,
    ...tk.args,
    appendEod: true,
    outputPrefix: join(WORK, `out-${tk.key}-${workers}`),
    workers,
    logInterval: 1_000_000,
    strict: false,
    useDefault: false,
  };
  const t0 = performance.now();
  const s = await prepareData(args, { stderr: quiet });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, tokens: s.keys[0]!.tokens - s.keys[0]!.documents }; // without the appended eods
}

function native(tokenizerJson: string, threads: number): { seconds: number; tokens: number } {
  const r = spawnSync(
    process.execPath,
    [
      "--conditions=@neox/source",
      "--import",
      "tsx",
      join(HERE, "native-encode.ts"),
      tokenizerJson,
      corpus.path,
    ],
    {
      encoding: "utf8",
      env: { ...process.env, RAYON_NUM_THREADS: String(threads), TOKENIZERS_PARALLELISM: "true" },
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`native encode failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface Row {
  tokenizer: string;
  workers: number;
  prepare_data_mb_s: number;
  native_encode_mb_s: number;
  ratio: number;
  goal: number;
  tokens: number;
  native_tokens: number;
}
const rows: Row[] = [];
for (const tk of TOKENIZERS) {
  for (const w of WORKERS) {
    const n = native(tk.native, w);
    const o = await ours(tk, w);
    const row: Row = {
      tokenizer: tk.name,
      workers: w,
      prepare_data_mb_s: mb / o.seconds,
      native_encode_mb_s: mb / n.seconds,
      ratio: n.seconds / o.seconds,
      goal: 0.9,
      tokens: o.tokens,
      native_tokens: n.tokens,
    };
    rows.push(row);
    if (o.tokens !== n.tokens)
      console.log(`WARNING: ${tk.name}: ${o.tokens} tokens from prepare-data, ${n.tokens} from native`);
  }
}
rmSync(WORK, { recursive: true, force: true });

const header = ["tokenizer", "workers", "prepare-data MB/s", "native encode MB/s", "ratio", "goal"];
const table = rows.map((r) => [
  r.tokenizer,
  String(r.workers),
  r.prepare_data_mb_s.toFixed(2),
  r.native_encode_mb_s.toFixed(2),
  `${r.ratio.toFixed(2)}x`,
  `>= ${r.goal}x`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\nprepare-data end to end vs Hugging Face native tokenizers raw encode (${mb.toFixed(1)} MB, ${cpus().length} CPUs)`,
);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const t of table) console.log(line(t));

// Read-merge-write: other benchmarks write their own sections into the same file.
const out = join(REPO, "bench-results/data.json");
mkdirSync(dirname(out), { recursive: true });
let doc: Record<string, unknown> = {};
if (existsSync(out)) {
  try {
    doc = JSON.parse(readFileSync(out, "utf8"));
  } catch {
    doc = {};
  }
}
doc.prepare_data = {
  when: new Date().toISOString(),
  corpus_mb: mb,
  corpus_documents: corpus.docs,
  corpus_parts: corpus.parts,
  cpus: cpus().length,
  anchor: "Hugging Face native tokenizers (npm tokenizers 0.23.2) encodeBatch, RAYON_NUM_THREADS = workers",
  rows,
};
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
renameSync(tmp, out);
console.log(`\nwrote ${out} (prepare_data section)`);
