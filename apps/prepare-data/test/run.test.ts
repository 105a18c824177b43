// prepareData end to end in-process, with real worker threads: every input format, order kept across
// batches and worker counts, malformed lines numbered across batch boundaries, --strict leaves nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { IndexedDataset } from "@neox/data-mmap";
import { defaultTokenizerFiles, GPT2BPETokenizer } from "@neox/tokenize";
import { afterAll, describe, expect, it } from "vitest";
import type { PrepareArgs } from "../src/args";
import { prepareData } from "../src/run";

const dir = mkdtempSync(join(tmpdir(), "prepare-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tkFiles = defaultTokenizerFiles();
const tk = new GPT2BPETokenizer(tkFiles.vocabFile, tkFiles.mergeFile);
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

function args(over: Partial<PrepareArgs>): PrepareArgs {
  return {
    input: [],
    jsonlKeys: ["text"],
    numDocs: undefined,
    tokenizerType: "GPT2BPETokenizer",
    vocabFile: tkFiles.vocabFile,
    mergeFile: tkFiles.mergeFile,
    appendEod: true,
    outputPrefix: join(dir, "out"),
    workers: 1,
    logInterval: 100,
    strict: false,
    useDefault: false,
    ...over,
  };
}

function readAll(prefix: string): number[][] {
  const ds = IndexedDataset.open(prefix);
  try {
    return Array.from({ length: ds.length }, (_, i) => Array.from(ds.get(i) as Uint16Array));
  } finally {
    ds.close();
  }
}

const expected = (texts: string[]) => texts.map((t) => [...tk.encode(t), tk.eod]);

describe("prepareData", () => {
  // ~3 MB of distinct lines: several 1 MB batches, so order and line numbers cross batch boundaries.
  const texts = Array.from(
    { length: 30_000 },
    (_, i) => `Document ${i}: ${"naïve café ".repeat(i % 17)}the end ${i * 7919}.`,
  );
  const lines = texts.map((t) => JSON.stringify({ text: t }));
  lines.splice(20_000, 0, "{not json");
  const big = join(dir, "big.jsonl");
  writeFileSync(big, `${lines.join("\n")}\n`);

  it("1 and 2 workers write identical files, in input order; a malformed line is numbered in its file", async () => {
    const warnings: string[] = [];
    const stderr = { write: (s: string) => warnings.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
    const s1 = await prepareData(args({ input: [big], outputPrefix: join(dir, "w1") }), { stderr });
    const s2 = await prepareData(args({ input: [big], outputPrefix: join(dir, "w2"), workers: 2 }), {
      stderr: quiet,
    });
    for (const ext of [".bin", ".idx"]) {
      const one = readFileSync(join(dir, `w1_text_document${ext}`));
      expect(readFileSync(join(dir, `w2_text_document${ext}`)).equals(one), ext).toBe(true);
    }
    // Compared as one string each: a deep equality over 800k numbers is slow in the test runner.
    const got = readAll(join(dir, "w1_text_document"));
    expect(got.length).toBe(texts.length);
    expect(
      got.map((d) => d.join(" ")).join("\n") ===
        expected(texts)
          .map((d) => d.join(" "))
          .join("\n"),
    ).toBe(true);
    expect([s1.records, s1.malformed, s1.keys[0]!.documents, s2.keys[0]!.documents]).toEqual([
      30_000, 1, 30_000, 30_000,
    ]);
    expect(warnings.join("")).toContain(`${big}:20001: not valid JSON`);
  });

  it("--strict stops at the malformed line and leaves no output or temporary files", async () => {
    const prefix = join(dir, "strict");
    await expect(
      prepareData(args({ input: [big], outputPrefix: prefix, strict: true }), { stderr: quiet }),
    ).rejects.toThrow(`${big}:20001: not valid JSON`);
    expect(readdirSync(dir).filter((f) => f.startsWith("strict"))).toEqual([]);
  });

  it("reads .jsonl.zst, .json.zst, .gz, .txt and a directory, in the given order", async () => {
    const sub = join(dir, "inputs");
    execFileSync("mkdir", ["-p", sub]);
    writeFileSync(join(sub, "b.txt"), "Whole file\nis one document.\n");
    writeFileSync(join(sub, "a.jsonl"), '{"text":"from a.jsonl"}\n');
    writeFileSync(join(sub, "notes.md"), "skipped");
    writeFileSync(join(dir, "lines.gz"), gzipSync("gz line one\ngz line two\n"));
    writeFileSync(join(dir, "z.jsonl"), '{"text":"zst one"}\n{"text":"zst two"}\n');
    writeFileSync(join(dir, "arr.json"), '["array one", {"text": "array two"}]');
    execFileSync("zstd", ["-q", "-f", join(dir, "z.jsonl"), "-o", join(dir, "z.jsonl.zst")]);
    execFileSync("zstd", ["-q", "-f", join(dir, "arr.json"), "-o", join(dir, "arr.json.zst")]);
    const warnings: string[] = [];
    const stderr = { write: (s: string) => warnings.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
    const input = [join(dir, "z.jsonl.zst"), join(dir, "arr.json.zst"), join(dir, "lines.gz"), sub];
    await prepareData(args({ input, outputPrefix: join(dir, "mixed"), workers: 2 }), { stderr });
    expect(readAll(join(dir, "mixed_text_document"))).toEqual(
      expected([
        "zst one",
        "zst two",
        "array one",
        "array two",
        "gz line one",
        "gz line two",
        "from a.jsonl",
        "Whole file\nis one document.\n",
      ]),
    );
    expect(warnings.join("")).toMatch(/skipping .*notes\.md: unknown format/);
  });

  it("a corrupt .zst fails with the file's name and writes nothing", async () => {
    writeFileSync(join(dir, "bad.jsonl.zst"), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5, 6, 7]));
    await expect(
      prepareData(args({ input: [join(dir, "bad.jsonl.zst")], outputPrefix: join(dir, "bad") }), {
        stderr: quiet,
      }),
    ).rejects.toThrow(/bad\.jsonl\.zst: zstd/);
    expect(readdirSync(dir).filter((f) => f.startsWith("bad_"))).toEqual([]);
  });
});
