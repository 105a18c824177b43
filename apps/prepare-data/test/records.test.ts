// Record rules: each key from its own field; missing/null/empty adds nothing; bare strings; lists
// joined with blank lines; malformed lines reported with their line number.
import { describe, expect, it } from "vitest";
import { newProblemLog } from "../src/encoding";
import { readRecords } from "../src/records";

function read(format: Parameters<typeof readRecords>[0], text: string, keys: string[]) {
  const records: (string | undefined)[][] = [];
  const log = newProblemLog();
  const lines = readRecords(format, new TextEncoder().encode(text), keys, {
    record: (t) => records.push(t),
    log,
  });
  return { records, problems: log.problems, lines };
}

describe("readRecords", () => {
  it("jsonl: each key reads its own field", () => {
    const r = read(
      "jsonl",
      '{"text":"a","title":"T"}\n{"text":"","title":"U"}\n{"title":null}\n"bare"\n{"text":["p1","p2"]}\r\n\n',
      ["text", "title"],
    );
    expect(r.records).toEqual([
      ["a", "T"],
      [undefined, "U"],
      [undefined, undefined],
      ["bare", "bare"],
      ["p1\n\np2", undefined],
    ]);
    expect(r.problems).toEqual([]);
    expect(r.lines).toBe(6);
  });

  it("jsonl: malformed lines and wrong value types are reported by line", () => {
    const r = read("jsonl", '{"text":"ok"}\n{broken\n[1,2]\n{"text":5}\n', ["text"]);
    expect(r.records).toEqual([["ok"], [undefined]]);
    expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(r.problems[0]!.message).toMatch(/not valid JSON/);
    expect(r.problems[1]!.message).toBe("expected a JSON object or string, got an array");
    expect(r.problems[2]!.message).toBe('key "text" is a number, expected a string or a list of strings');
  });

  it("json-array: one array of records; JSON lines also accepted", () => {
    expect(read("json-array", ' [{"text":"x"}, "y", 3]', ["text"])).toMatchObject({
      records: [["x"], ["y"]],
      problems: [{ line: 3 }],
      lines: 3,
    });
    expect(read("json-array", '{"text":"x"}\n{"text":"y"}\n', ["text"]).records).toEqual([["x"], ["y"]]);
  });

  it("text: the whole file is one document, for every key; lines: one per line", () => {
    expect(read("text", "line 1\nline 2\n", ["a", "b"]).records).toEqual([
      ["line 1\nline 2\n", "line 1\nline 2\n"],
    ]);
    expect(read("text", "", ["a"]).records).toEqual([[undefined]]);
    expect(read("lines", "one\r\n\ntwo", ["text"]).records).toEqual([["one"], [undefined], ["two"]]);
  });

  it("brown: tagged sample becomes plain text", () => {
    expect(read("brown", "\tThe/at jury/nn said/vbd ./.\n", ["text"]).records).toEqual([["The jury said."]]);
  });
});
