// --input expansion (lm_dataformat's rules) and the progress line's rates and ETA.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandInputs, formatOf } from "../src/inputs";
import { Progress } from "../src/progress";

const dir = mkdtempSync(join(tmpdir(), "prepare-data-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { warn: () => {}, allowEmpty: false };

describe("expandInputs", () => {
  it("formats follow the file name", () => {
    expect(formatOf("a.JSONL.ZST")).toEqual({ format: "jsonl", compression: "zstd" });
    expect(formatOf("a.json.zst")).toEqual({ format: "json-array", compression: "zstd" });
    expect(formatOf("a.json.gz")).toEqual({ format: "jsonl", compression: "gzip" });
    expect(formatOf("a.gz")).toEqual({ format: "lines", compression: "gzip" });
    expect(formatOf("a.txt")).toEqual({ format: "text", compression: "none" });
    expect(formatOf("a.parquet")).toBeUndefined();
  });

  it("a directory means its files in sorted order, not recursive; odd entries are noted", () => {
    const d = join(dir, "d");
    mkdirSync(join(d, "sub"), { recursive: true });
    for (const f of ["b.jsonl", "a.txt", "c.csv", "sub/x.jsonl"]) writeFileSync(join(d, f), "");
    const notes: string[] = [];
    const files = expandInputs([d, join(d, "b.jsonl")], { warn: (m) => notes.push(m), allowEmpty: false });
    expect(files.map((f) => f.path)).toEqual([join(d, "a.txt"), join(d, "b.jsonl"), join(d, "b.jsonl")]);
    expect(notes.join("\n")).toMatch(/c\.csv: unknown format/);
    expect(notes.join("\n")).toMatch(/sub: directories inside an input directory are not read/);
    // b.jsonl is named twice (in the directory and on its own): read twice, as asked, but said.
    expect(notes.join("\n")).toContain(`--input names ${join(d, "b.jsonl")} again`);
  });

  it("a directory of many unreadable entries: the first 5 are named, the rest counted in one line", () => {
    const d = join(dir, "many");
    mkdirSync(d);
    for (let i = 0; i < 1000; i++) writeFileSync(join(d, `f${String(i).padStart(4, "0")}.csv`), "");
    writeFileSync(join(d, "z.jsonl"), "");
    const notes: string[] = [];
    expect(expandInputs([d], { warn: (m) => notes.push(m), allowEmpty: false }).length).toBe(1);
    expect(notes.length).toBe(6);
    expect(notes[0]).toMatch(/f0000\.csv: unknown format/);
    expect(notes[5]).toBe(`skipping 995 more entries of ${d}`);
  });

  it("a missing path or an unknown file type given directly is an error", () => {
    expect(() => expandInputs([join(dir, "nope.jsonl")], quiet)).toThrow(
      `--input ${join(dir, "nope.jsonl")}: no such file`,
    );
    writeFileSync(join(dir, "x.csv"), "");
    expect(() => expandInputs([join(dir, "x.csv")], quiet)).toThrow(
      /x\.csv: unknown format; expected a name ending in \.jsonl\.zst/,
    );
  });
});

describe("Progress", () => {
  it("on a terminal, clear() erases a drawn line once, so the next message starts at the margin", () => {
    const written: string[] = [];
    const tty = { write: (s: string) => written.push(s) > 0, isTTY: true } as unknown as NodeJS.WriteStream;
    const p = new Progress(tty, 1, undefined);
    p.clear();
    expect(written).toEqual([]); // nothing drawn, nothing to erase
    p.update({ docs: 5, bytes: 0, rawRead: 1, rawTotal: 2 }, true);
    expect(written[0]).toMatch(/^\r\[.*\x1b\[K$/);
    p.clear();
    p.clear();
    expect(written.slice(1)).toEqual(["\r\x1b[K"]);
  });

  const sink = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

  it("rates and ETA from the share of input read", () => {
    const p = new Progress(sink, 100, undefined);
    const start = (p as unknown as { start: number }).start;
    const line = p.format({ docs: 500, bytes: 5e6, rawRead: 25, rawTotal: 100 }, start + 10_000);
    expect(line).toBe(
      "[#####---------------]  25% 500 docs, 50.0 docs/s, 0.50 MB/s of input, elapsed 0:10, ETA 0:30",
    );
  });

  it("ETA from --num-docs when given", () => {
    const p = new Progress(sink, 100, 2000);
    const start = (p as unknown as { start: number }).start;
    expect(p.format({ docs: 1000, bytes: 0, rawRead: 1, rawTotal: 100 }, start + 60_000)).toContain(
      "50% 1000/2000 docs",
    );
    expect(p.format({ docs: 1000, bytes: 0, rawRead: 1, rawTotal: 100 }, start + 60_000)).toContain(
      "ETA 1:00",
    );
  });
});
