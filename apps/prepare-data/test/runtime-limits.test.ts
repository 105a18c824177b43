// Class: limits of the runtime must not surface as crashes. A document longer than the per-document
// limit (default 64 MiB, at most V8's string limit) is refused while it streams in, with file:line,
// the bytes read and the limit, in time and memory bounded by the limit, never by the document.
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_DOCUMENT_MB } from "../src/args";
import { formatOf, type InputFile } from "../src/inputs";
import { prepareData } from "../src/run";
import { DocumentTooLargeError, fileBatches } from "../src/sources";
import { capture, leftovers, prepareArgs } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "prepare-data-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1 << 20;

async function drain(path: string, limit: number): Promise<number> {
  const file: InputFile = { path, ...formatOf(path)!, bytes: 0 };
  let n = 0;
  for await (const b of fileBatches(file, () => {}, limit)) n += b.bytes.length;
  return n;
}

describe("a document over the per-document limit", () => {
  it("the third line, 3 MiB long, over a 2 MiB limit: file:3, bytes read, limit", async () => {
    const path = join(dir, "long-line.jsonl");
    writeFileSync(path, `{"text":"a"}\n{"text":"b"}\n{"text":"${"x".repeat(3 * MiB)}"}\n{"text":"d"}\n`);
    const err = await drain(path, 2 * MiB).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${path}:3: the line has more than 2 MiB \\(\\d+ bytes read so far\\), over the per-document limit of ${2 * MiB} bytes; split it, or raise the limit with --max-document-mb`,
      ),
    );
  });

  it("a line of exactly the limit passes; one byte more does not", async () => {
    const at = join(dir, "at-limit.jsonl");
    writeFileSync(at, `${"y".repeat(MiB)}\n`);
    expect(await drain(at, MiB)).toBe(MiB + 1);
    writeFileSync(at, `${"y".repeat(MiB + 1)}\r\n`);
    await expect(drain(at, MiB)).rejects.toThrow(`${at}:1: the line has more than 1 MiB`);
  });

  it("a .txt file is one document: refused when the file is over the limit", async () => {
    const path = join(dir, "book.txt");
    writeFileSync(path, "z".repeat(2 * MiB + 5));
    await expect(drain(path, 2 * MiB)).rejects.toThrow(
      `${path}:1: the file is one document and has more than 2 MiB`,
    );
  });

  it("inside a .gz the limit holds on the decompressed line, and line numbers count from the file's start", async () => {
    const path = join(dir, "lines.gz");
    writeFileSync(path, gzipSync(`short\n${"w".repeat(3 * MiB)}\n`));
    await expect(drain(path, MiB)).rejects.toThrow(`${path}:2: the line has more than 1 MiB`);
  });

  it("a 600 MB line (past V8's 0x1fffffe8-character string limit) is refused after reading the default limit, quickly and in bounded memory", async () => {
    // A sparse file: 600 MB of NUL bytes and no line end, without writing 600 MB to disk.
    const path = join(dir, "huge.jsonl");
    const fd = openSync(path, "w");
    writeSync(fd, '{"text":"');
    closeSync(fd);
    truncateSync(path, 600_000_000);
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const err = capture();
    const t = performance.now();
    const run = prepareData(prepareArgs({ input: [path], outputPrefix: join(dir, "huge") }), err);
    await expect(run).rejects.toThrow(`${path}:1: the line has more than ${DEFAULT_MAX_DOCUMENT_MB} MiB`);
    const seconds = (performance.now() - t) / 1000;
    expect(seconds).toBeLessThan(10);
    // Bounded by the limit (64 MiB held while the line streams in), not by the 600 MB line.
    expect(process.resourceUsage().maxRSS * 1024 - peakBefore).toBeLessThan(300 * MiB);
    expect(leftovers(dir, "huge_")).toEqual([]);
  });
});
