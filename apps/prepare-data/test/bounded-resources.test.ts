// Class: one argument or one input must not claim unbounded threads, memory or time. --workers is
// bounded by the CPUs and by the batches the input makes (with a note), absurd numbers are refused,
// the pool bounds bytes in flight, and a highly compressed .zst expands in small steps.
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_WORKERS, parseArgs } from "../src/args";
import type { InputFile } from "../src/inputs";
import { prepareData } from "../src/run";
import { BATCH_BYTES, DocumentTooLargeError, fileBatches } from "../src/sources";
import { WorkerPool } from "../src/worker-pool";
import { batchesOf, planWorkers, workersForMemory } from "../src/workers-plan";
import { capture, prepareArgs, threadCount } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "prepare-data-bounds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = ["--input", "a.jsonl", "--output-prefix", "p", "--tokenizer-type", "CharLevelTokenizer"];

describe("numbers on the command line are bounded", () => {
  it.each([
    ["--workers", "0", /--workers must be an integer >= 1, got "0"/],
    ["--workers", "-1", /--workers must be an integer >= 1, got "-1"/],
    ["--workers", "2.5", /--workers must be an integer >= 1/],
    ["--workers", "1e3", /--workers must be an integer >= 1/],
    ["--workers", "0x10", /--workers must be an integer >= 1/],
    [
      "--workers",
      String(MAX_WORKERS + 1),
      new RegExp(`--workers ${MAX_WORKERS + 1} is more than ${MAX_WORKERS}`),
    ],
    ["--workers", "99999999999999999999999", /is more than 1024/],
    ["--log-interval", "99999999999999999999", /--log-interval .* is more than 9007199254740991/],
    ["--num-docs", "1".repeat(40), /--num-docs .* is more than/],
    ["--max-document-mb", "0", /--max-document-mb must be an integer >= 1/],
    ["--max-document-mb", "512", /--max-document-mb 512 is more than 511 \(V8's longest string/],
  ])("%s %s is refused", (flag, value, message) => {
    expect(() => parseArgs([...base, flag, value])).toThrow(message);
  });

  it("more than 64 --jsonl-keys are refused (each key holds a dataset writer and its buffer)", () => {
    const keys = Array.from({ length: 65 }, (_, i) => `k${i}`);
    expect(() => parseArgs([...base, "--jsonl-keys", ...keys])).toThrow(/lists 65 keys, more than 64/);
  });

  it("a megabyte-long unknown option is refused at once (no quadratic suggestion search)", () => {
    const t = performance.now();
    expect(() => parseArgs([...base, `--${"x".repeat(1 << 20)}`])).toThrow(/unknown option/);
    expect(performance.now() - t).toBeLessThan(200);
  });
});

describe("--workers is reduced to what the machine and the input can use, with a note", () => {
  const file = (bytes: number, over: Partial<InputFile> = {}): InputFile => ({
    path: "x.jsonl",
    format: "jsonl",
    compression: "none",
    bytes,
    ...over,
  });

  it("the input bounds the batches: lines per BATCH_BYTES, one per whole-file document, none for compressed", () => {
    expect(batchesOf([file(0)])).toBe(1);
    expect(batchesOf([file(3 * BATCH_BYTES + 1)])).toBe(4);
    expect(batchesOf([file(10 * BATCH_BYTES, { format: "text" }), file(1, { format: "json-array" })])).toBe(
      2,
    );
    expect(batchesOf([file(100, { compression: "zstd" })])).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    [
      1000,
      2,
      [file(300_000)],
      1,
      /--workers 1000: using 1; this process can use 2 CPUs .* and the input \(0\.3 MB\) makes 1 batch/,
    ],
    [
      8,
      4,
      [file(100, { compression: "gzip" })],
      4,
      /--workers 8: using 4; this process can use 4 CPUs \(os\.availableParallelism\(\)\)$/,
    ],
    [
      4,
      64,
      [file(3 * BATCH_BYTES)],
      3,
      /--workers 4: using 3; the input \(3\.1 MB\) makes 3 batches of up to 1 MiB, so more workers would sit idle$/,
    ],
    [2, 64, [file(5 * BATCH_BYTES)], 2, undefined],
  ])("asked %i with %i CPUs", (asked, cpus, files, workers, note) => {
    const plan = planWorkers(asked, files, cpus);
    expect(plan.workers).toBe(workers);
    if (note) expect(plan.note).toMatch(note);
    else expect(plan.note).toBeUndefined();
  });

  it.each([
    // asked, bytes the first worker took, bytes available -> workers, note
    [
      8,
      200e6,
      1e9,
      2,
      "--workers 8: starting 2; each worker takes about 200 MB (its tokenizer) and 1000 MB of memory is available",
    ],
    [
      8,
      200e6,
      100e6,
      1,
      "--workers 8: starting 1; each worker takes about 200 MB (its tokenizer) and 100 MB of memory is available",
    ],
    [8, 1e6, 1e9, 8, undefined], // a tiny RSS delta counts as an isolate's 16 MiB: 29 fit
    [3, 100e6, 64e9, 3, undefined],
  ])("free memory: %i workers of %d bytes in %d available", (asked, each, available, workers, note) => {
    expect(workersForMemory(asked, each, available)).toEqual({ workers, note });
  });

  it("--workers 1000 on a small file starts one worker thread, says so, and leaves no thread behind", async () => {
    const input = join(dir, "small.jsonl");
    writeFileSync(
      input,
      Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `doc ${i}` })).join("\n"),
    );
    const run = (prefix: string, workers: number) => {
      const err = capture();
      return prepareData(prepareArgs({ input: [input], outputPrefix: join(dir, prefix), workers }), err).then(
        (s) => ({ s, text: err.text() }),
      );
    };
    await run("warm", 1); // the first run starts libuv's thread pool; count from here
    const before = threadCount();
    const { s, text } = await run("many", 1000);
    expect(s.workers).toBe(1);
    expect(s.keys[0]!.documents).toBe(200);
    expect(text).toMatch(/--workers 1000: using 1;/);
    expect(threadCount()).toBeLessThanOrEqual(before);
  });
});

describe("memory in flight is bounded by design", () => {
  it("the pool is full once 4 MiB per worker are in flight, whatever the batch count", async () => {
    const { pool } = await WorkerPool.start(
      1,
      {
        tokenizerType: "CharLevelTokenizer",
        vocabFile: undefined,
        mergeFile: undefined,
        jsonlKeys: ["text"],
        appendEod: false,
      },
      { note: () => {} },
    );
    try {
      const line = `${JSON.stringify({ text: "a" })}\n`;
      const batch = () => new TextEncoder().encode(line.repeat(Math.ceil((2 * BATCH_BYTES) / line.length)));
      expect(pool.full).toBe(false);
      const a = pool.submit("jsonl", batch());
      expect(pool.full).toBe(false);
      const b = pool.submit("jsonl", batch()); // 4 MiB now in flight: two batches, not the four a count allows
      expect(pool.full).toBe(true);
      await a.result;
      pool.release(a.seq);
      expect(pool.full).toBe(false);
      await b.result;
      pool.release(b.seq);
    } finally {
      await pool.close();
    }
  });

  it("a .zst that expands 32768:1 is decoded in slices: peak memory stays far below its size", async () => {
    const path = join(dir, "bomb.jsonl.zst");
    // 512 MiB of "a" with no line end: compresses to about 20 KB.
    execSync(`head -c ${512 << 20} /dev/zero | tr '\\0' a | zstd -q -1 -o ${path}`);
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const file: InputFile = { path, format: "jsonl", compression: "zstd", bytes: 0 };
    const t = performance.now();
    const read = async () => {
      for await (const _ of fileBatches(file, () => {}, 1 << 20)) {
      }
    };
    await expect(read()).rejects.toThrow(DocumentTooLargeError);
    expect(performance.now() - t).toBeLessThan(5000);
    // Decoding all 512 MiB in one call would raise the peak by at least that much.
    expect(process.resourceUsage().maxRSS * 1024 - peakBefore).toBeLessThan(200 << 20);
  });
});
