// Class: input that would silently become something else. Invalid UTF-8 (decoded as U+FFFD), NUL
// bytes, byte-order marks, values of the wrong type, prototype names as keys, and inputs that yield no
// documents at all are each counted and reported with file:line (--strict: fatal), or refused.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { IndexedDataset } from "@neox/data-mmap";
import { afterAll, describe, expect, it } from "vitest";
import { firstInvalidUtf8, newProblemLog } from "../src/encoding";
import { readRecords } from "../src/records";
import { EmptyDatasetError, prepareData, StrictError } from "../src/run";
import { capture, leftovers, prepareArgs } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "prepare-data-problems-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

function read(format: Parameters<typeof readRecords>[0], input: Uint8Array, keys = ["text"]) {
  const records: (string | undefined)[][] = [];
  const log = newProblemLog();
  readRecords(format, input, keys, { record: (t) => records.push(t), log });
  return {
    records,
    problems: log.problems.map((p) => `${p.kind}@${p.line}: ${p.message}`),
    counts: log.counts,
  };
}

describe("byte-level problems are found, with line and column", () => {
  it.each([
    ["a lone continuation byte", [0x61, 0x80], 1],
    ["an overlong encoding of '/'", [0x61, 0x62, 0xc0, 0xaf], 2],
    ["a UTF-16 surrogate", [0xed, 0xa0, 0x80], 0],
    ["a code point above U+10FFFF", [0x20, 0xf4, 0x90, 0x80, 0x80], 1],
    ["a sequence cut short", [0x61, 0xe2, 0x82], 1],
    ["an invalid lead byte", [0xff], 0],
  ])("%s", (_, input, at) => {
    expect(firstInvalidUtf8(Uint8Array.from(input))).toBe(at);
  });

  it("well-formed text, up to U+10FFFF, has nothing to report", () => {
    expect(firstInvalidUtf8(bytes("naïve 東京 🙂", [0xf4, 0x8f, 0xbf, 0xbf]))).toBe(-1);
  });

  it("jsonl: invalid UTF-8 is kept as U+FFFD and reported on its line; a raw NUL is malformed JSON", () => {
    const r = read("jsonl", bytes('{"text":"ok"}\n{"text":"caf', [0xe9], '"}\n{"text":"a', [0], '"}\n'));
    expect(r.records).toEqual([["ok"], ["caf\ufffd"]]);
    expect(r.problems[0]).toBe("invalid-utf8@2: invalid UTF-8 at byte 13 of the line (0xe9)");
    expect(r.problems[1]).toMatch(/^malformed@3: not valid JSON/);
    expect(r.counts.nul).toBe(0);
  });

  it("plain text: NUL bytes are reported (binary data?) and kept", () => {
    const r = read("lines", bytes("one\n", [0x74, 0, 0x77, 0x6f], "\nthree\n"));
    expect(r.records).toEqual([["one"], ["t\0wo"], ["three"]]);
    expect(r.problems).toEqual(["nul@2: NUL byte at byte 2 of the line (binary data?)"]);
    const t = read("text", bytes("line one\nline", [0], " two\n"));
    expect(t.problems).toEqual(["nul@2: NUL byte at byte 5 of the line (binary data?)"]);
  });

  it("a byte-order mark at the start of a line (concatenated files) is removed and reported; CRLF is a line end", () => {
    const r = read("jsonl", bytes('{"text":"a"}\r\n\ufeff{"text":"b"}\r\n'));
    expect(r.records).toEqual([["a"], ["b"]]);
    expect(r.problems).toEqual(["bom@2: byte-order mark at the start of the line"]);
  });

  it("values of the wrong type are malformed, per key; prototype names are not fields", () => {
    const r = read(
      "jsonl",
      bytes(
        '{"text":5}\n{"text":true}\n{"text":{"a":1}}\n{"text":["a",2]}\n{"text":[["a"]]}\n{"text":"ok"}\n',
      ),
    );
    expect(r.records).toEqual([[undefined], [undefined], [undefined], [undefined], [undefined], ["ok"]]);
    expect(r.problems.map((p) => p.replace(/, expected.*/, ""))).toEqual([
      'malformed@1: key "text" is a number',
      'malformed@2: key "text" is a boolean',
      'malformed@3: key "text" is an object',
      'malformed@4: key "text" is an array',
      'malformed@5: key "text" is an array',
    ]);
    const proto = read("jsonl", bytes('{"text":"x"}\n'), ["constructor", "toString", "__proto__"]);
    expect(proto.records).toEqual([[undefined, undefined, undefined]]);
    expect(proto.problems).toEqual([]);
  });

  it("a million-deep nested line is a malformed record, not a crash", () => {
    const deep = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}\n`;
    expect(read("jsonl", bytes(deep)).problems).toEqual([
      "malformed@1: expected a JSON object or string, got an array",
    ]);
  });
});

describe("problems across a run: file:line for the first few, then counts; --strict stops", () => {
  const bad = join(dir, "bad-utf8.jsonl");
  const lines = Array.from({ length: 30 }, (_, i) =>
    i % 2 === 0 ? bytes(`{"text":"doc ${i} `, [0xff], '"}\n') : bytes(`{"text":"doc ${i}"}\n`),
  );
  writeFileSync(bad, Buffer.concat(lines));

  it("invalid UTF-8 on 15 lines: the first 10 printed with file:line, all 15 counted, documents kept", async () => {
    const err = capture();
    const s = await prepareData(prepareArgs({ input: [bad], outputPrefix: join(dir, "utf8") }), err);
    expect(s.keys[0]!.documents).toBe(30);
    expect(s.problems["invalid-utf8"]).toBe(15);
    const printed = err
      .text()
      .match(/^prepare-data: .*bad-utf8\.jsonl:\d+: invalid UTF-8 .*; replaced with U\+FFFD$/gm)!;
    expect(printed.length).toBe(10);
    expect(printed[0]).toBe(
      `prepare-data: ${bad}:1: invalid UTF-8 at byte 16 of the line (0xff); replaced with U+FFFD`,
    );
    expect(err.text()).toContain("further lines with invalid UTF-8 are counted, not printed");
  });

  it("--strict: the first invalid UTF-8 line is fatal and nothing is written", async () => {
    await expect(
      prepareData(prepareArgs({ input: [bad], outputPrefix: join(dir, "strict"), strict: true }), capture()),
    ).rejects.toThrow(
      new StrictError(
        `${bad}:1: invalid UTF-8 at byte 16 of the line (0xff) (--strict stops at the first problem line)`,
      ),
    );
    expect(leftovers(dir, "strict")).toEqual([]);
  });

  it("a UTF-8 byte-order mark at the start of a file is removed silently; UTF-16 is refused", async () => {
    const withBom = join(dir, "bom.jsonl");
    writeFileSync(withBom, bytes([0xef, 0xbb, 0xbf], '{"text":"first"}\n'));
    const s = await prepareData(prepareArgs({ input: [withBom], outputPrefix: join(dir, "bom") }), capture());
    expect([s.keys[0]!.documents, s.malformed]).toEqual([1, 0]);
    const utf16 = join(dir, "utf16.jsonl");
    writeFileSync(
      utf16,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"text":"x"}\n', "utf16le")]),
    );
    await expect(
      prepareData(prepareArgs({ input: [utf16], outputPrefix: join(dir, "u16") }), capture()),
    ).rejects.toThrow(
      /utf16\.jsonl: starts with a UTF-16\/UTF-32 byte-order mark \(ff fe\); prepare-data reads UTF-8/,
    );
  });
});

describe("no documents is an error unless --allow-empty", () => {
  const run = (name: string, input: string[], over: object = {}) =>
    prepareData(prepareArgs({ input, outputPrefix: join(dir, name), ...over }), capture());

  it.each([
    [
      "an empty file",
      "",
      /empty-anemptyfile_text_document: the input \(1 file, 0 bytes on disk\) holds no records/,
    ],
    ["blank lines only", "\n\n\r\n", /holds no records/],
    ["every line malformed", "{nope\n[1]\n", /every line of the input .* is malformed \(2\)/],
    [
      "a key missing from every line",
      '{"txt":"a","meta":1}\n{"txt":"b"}\n',
      /key "text" is missing, null or empty in all 2 records \(the first record has "txt", "meta"\)/,
    ],
    [
      "values that tokenize to nothing",
      '{"text":""}\n{"text":null}\n',
      /missing, null or empty in all 2 records/,
    ],
  ])("%s", async (what, content, message) => {
    const name = `empty-${what.replace(/\W/g, "")}`;
    const input = join(dir, `${name}.jsonl`);
    writeFileSync(input, content);
    const err = run(name, [input]);
    await expect(err).rejects.toThrow(EmptyDatasetError);
    await expect(err).rejects.toThrow(message);
    await expect(err).rejects.toThrow(/nothing was written \(--allow-empty writes empty datasets\)/);
    expect(leftovers(dir, `${name}_`)).toEqual([]);
  });

  it("one key of two missing everywhere: only that key is named", async () => {
    const input = join(dir, "two-keys.jsonl");
    writeFileSync(input, '{"text":"a"}\n{"text":"b"}\n');
    await expect(run("two", [input], { jsonlKeys: ["text", "title"] })).rejects.toThrow(
      /no documents to write: \S*two_title_document: key "title" is missing, null or empty in all 2 records/,
    );
  });

  it("a directory with no files to read is an error naming what it holds", async () => {
    const d = join(dir, "no-inputs");
    mkdirSync(d);
    writeFileSync(join(d, "notes.md"), "x");
    await expect(run("nodir", [d])).rejects.toThrow(
      `--input ${d}: the directory has no files to read (it holds notes.md; expected names ending in .jsonl.zst`,
    );
  });

  it("--allow-empty writes an empty, readable dataset", async () => {
    const input = join(dir, "nothing.jsonl");
    writeFileSync(input, "");
    const s = await run("allowed", [input], { allowEmpty: true });
    expect(s.keys[0]!.documents).toBe(0);
    const ds = IndexedDataset.open(join(dir, "allowed_text_document"));
    expect(ds.length).toBe(0);
    ds.close();
  });
});

describe("compressed input that is not what its name says", () => {
  const json = '{"text":"a compressed document"}\n'.repeat(200);
  writeFileSync(join(dir, "ok.jsonl"), json);
  execFileSync("zstd", ["-q", "-f", join(dir, "ok.jsonl"), "-o", join(dir, "ok.jsonl.zst")]);
  const zst = readFileSync(join(dir, "ok.jsonl.zst"));
  const gz = gzipSync(json);

  it.each([
    [
      "truncated.jsonl.zst",
      zst.subarray(0, zst.length - 7),
      /truncated\.jsonl\.zst: zstd stream ends early, the file is truncated/,
    ],
    ["plain.jsonl.zst", Buffer.from(json), /plain\.jsonl\.zst: not zstd data, or corrupt/],
    [
      "truncated.jsonl.gz",
      gz.subarray(0, gz.length - 10),
      /truncated\.jsonl\.gz: not gzip data, or corrupt or truncated \(unexpected end of file\)/,
    ],
    [
      "plain.jsonl.gz",
      Buffer.from(json),
      /plain\.jsonl\.gz: not gzip data, or corrupt or truncated \(incorrect header check\)/,
    ],
  ])("%s", async (name, content, message) => {
    writeFileSync(join(dir, name), content);
    const prefix = `c-${name.replace(/\W/g, "")}`;
    await expect(
      prepareData(prepareArgs({ input: [join(dir, name)], outputPrefix: join(dir, prefix) }), capture()),
    ).rejects.toThrow(message);
    expect(leftovers(dir, prefix)).toEqual([]);
  });
});
