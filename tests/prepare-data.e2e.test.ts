// `neox prepare-data` as a user runs it, checked byte for byte against an independent writer: the
// ids come from Hugging Face's reference engine (@huggingface/tokenizers, run in its own process, not
// through prepare-data's workers) and the .bin/.idx from tools/fixtures/data/write_indexed.py (numpy).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runNeox } from "./helpers/run-neox";

const SHARED = resolve(REPO_ROOT, "../shared/data");
const haveShared = existsSync(SHARED);
if (!haveShared && process.env.CI === "true")
  throw new Error(`CI: ${SHARED} is missing; prepare-data e2e needs its tokenizers`);
if (!haveShared) console.warn(`skipping prepare-data byte-identity: ${SHARED} not found`);
// The independent writer is a numpy script (Debian python3-numpy; .ci/run installs it).
const haveNumpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"]).status === 0;
if (!haveNumpy && process.env.CI === "true") throw new Error("CI: /usr/bin/python3 with numpy is required");
if (!haveNumpy) console.warn("skipping prepare-data byte-identity: /usr/bin/python3 has no numpy");

const dir = mkdtempSync(join(tmpdir(), "prepare-data-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two keys; missing, null, empty and list values; non-ASCII text; a bare-string record; a bad line.
const RECORDS = [
  { text: "The quick brown fox jumps over the lazy dog.", title: "Fox" },
  { text: "Größe, Ärger und Übermut — naïve café déjà vu.", title: "" },
  { title: "Only a title: 東京の天気は晴れです。" },
  { text: "", title: null },
  "A bare JSON string is a document for every key.",
  { text: ["First paragraph.", "Second paragraph, with emoji 🙂 and Ελληνικά."], title: "Lists" },
  { text: "Arabic مرحبا بالعالم and Hindi नमस्ते दुनिया.\nSecond line\ttabbed.", title: "Scripts" },
  { text: "   leading spaces and trailing   ", other: "ignored field" },
];
const LINES = [...RECORDS.map((r) => JSON.stringify(r)), "{this line is not JSON"];

/** The documents each key should receive (missing/null/empty add none; lists join with blank lines). */
function documentsFor(key: "text" | "title"): string[] {
  const out: string[] = [];
  for (const r of RECORDS) {
    const v = typeof r === "string" ? r : (r as Record<string, unknown>)[key];
    const text = Array.isArray(v) ? v.join("\n\n") : v;
    if (typeof text === "string" && text !== "") out.push(text);
  }
  return out;
}

/** Ids from the reference engine in a separate Node process (resolved from packages/tokenize). */
function referenceIds(
  tokenizerJson: string,
  docs: Record<string, string[]>,
): { vocabSize: number; ids: Record<string, number[][]> } {
  const script = `
    import { readFileSync } from "node:fs";
    import { Tokenizer } from "@huggingface/tokenizers";
    const tk = new Tokenizer(JSON.parse(readFileSync(process.argv[1], "utf8")), {});
    const docs = JSON.parse(process.argv[2]);
    const eod = tk.token_to_id("<|endoftext|>");
    const ids = {};
    for (const [key, texts] of Object.entries(docs)) ids[key] = texts.map((t) => [...tk.encode(t).ids, eod]);
    process.stdout.write(JSON.stringify({ vocabSize: tk.get_vocab(true).size, ids }));`;
  const r = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", script, tokenizerJson, JSON.stringify(docs)],
    {
      cwd: join(REPO_ROOT, "packages/tokenize"),
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`reference tokenizer failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function independentWrite(spec: object, prefix: string): void {
  const json = `${prefix}.spec.json`;
  writeFileSync(json, JSON.stringify(spec));
  const r = spawnSync(
    "/usr/bin/python3",
    [join(REPO_ROOT, "tools/fixtures/data/write_indexed.py"), json, prefix],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`write_indexed.py failed: ${r.stderr}`);
}

describe.skipIf(!haveShared || !haveNumpy)("neox prepare-data", () => {
  it("writes .bin/.idx byte-identical to the independent writer, one dataset per key", () => {
    const input = join(dir, "corpus.jsonl");
    writeFileSync(input, `${LINES.join("\n")}\n`);
    const tokenizer = join(SHARED, "tokenizers/gpt-neox-20b/tokenizer.json");
    const prefix = join(dir, "out/corpus");
    const r = runNeox([
      "prepare-data",
      "--input",
      input,
      "--output-prefix",
      prefix,
      "--tokenizer-type",
      "HFTokenizer",
      "--vocab-file",
      tokenizer,
      "--jsonl-keys",
      "text",
      "title",
      "--append-eod",
      "--workers",
      "2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${input}:9: not valid JSON`);
    expect(r.stderr).toMatch(/corpus_title_document\.bin\/\.idx: 5 documents/);

    const docs = { text: documentsFor("text"), title: documentsFor("title") };
    expect(docs.text.length).toBe(6);
    const ref = referenceIds(tokenizer, docs);
    expect(ref.vocabSize).toBe(50277);
    for (const key of ["text", "title"] as const) {
      const want = join(dir, `want_${key}`);
      independentWrite({ vocab_size: ref.vocabSize, documents: ref.ids[key] }, want);
      for (const ext of [".bin", ".idx"]) {
        const got = readFileSync(`${prefix}_${key}_document${ext}`);
        expect(got.equals(readFileSync(`${want}${ext}`)), `${key}${ext}`).toBe(true);
      }
    }
  });

  it("--strict fails on the malformed line and leaves no dataset", () => {
    const input = join(dir, "strict.jsonl");
    writeFileSync(input, `${LINES.join("\n")}\n`);
    const prefix = join(dir, "strict");
    const r = runNeox([
      "prepare-data",
      "--input",
      input,
      "--output-prefix",
      prefix,
      "--tokenizer-type",
      "CharLevelTokenizer",
      "--strict",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${input}:9: not valid JSON`);
    expect(existsSync(`${prefix}_text_document.bin`) || existsSync(`${prefix}_text_document.idx`)).toBe(
      false,
    );
  });
});

describe("neox prepare-data --default", () => {
  it("tokenizes the embedded Brown Corpus with GPT-2's BPE, no download", () => {
    const prefix = join(dir, "brown/brown");
    const r = runNeox(["prepare-data", "--default", "--output-prefix", prefix, "--workers", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/brown_text_document\.bin\/\.idx: 500 documents, \d+ tokens \(uint16\)/);
    const idx = readFileSync(`${prefix}_text_document.idx`);
    expect(idx.readBigUInt64LE(18)).toBe(500n); // items
    const bin = readFileSync(`${prefix}_text_document.bin`);
    expect(bin.readUInt16LE(bin.length - 2)).toBe(50256); // --append-eod: GPT-2's <|endoftext|>
    expect(bin.length / 2).toBeGreaterThan(1_000_000); // about 1M words of text
  });

  it("with the default prefix also installs GPT-2's files where configs/local_setup.yml looks", () => {
    const cwd = mkdtempSync(join(tmpdir(), "neox-default-"));
    const r = runNeox(["prepare-data", "--default"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, "data/brown/brown_text_document.idx"))).toBe(true);
    const vocab = JSON.parse(readFileSync(join(cwd, "data/gpt2-vocab.json"), "utf8"));
    expect(vocab["<|endoftext|>"]).toBe(50256);
    expect(readFileSync(join(cwd, "data/gpt2-merges.txt"), "utf8").split("\n").length).toBeGreaterThan(50000);
    const show = runNeox(
      [
        "config",
        "show",
        join(REPO_ROOT, "configs/tiny.yml"),
        join(REPO_ROOT, "configs/local_setup.yml"),
        "--json",
      ],
      { cwd },
    );
    expect(JSON.parse(show.stdout).padded_vocab_size).toBe(50304);
  });
});
