import { describe, expect, it } from "vitest";
import { parseConfigText } from "../src/load/yaml-file";

describe("parseConfigText", () => {
  it("reads YAML 1.1 booleans as PyYAML does, but not bare y/n", () => {
    const p = parseConfigText("a: True\nb: yes\nc: Off\nd: y\ne: NO\nf: false\n", "f.yml");
    expect(p.values).toEqual({ a: true, b: true, c: false, d: "y", e: false, f: false });
  });

  it("reads 6e-4 as a number (PyYAML would give a string) and keeps ints, underscores and floats", () => {
    const p = parseConfigText('lr: 6e-4\nn: 104_857_600\nx: 0.5\ns: "6e-4"\n', "f.yml");
    expect(p.values).toEqual({ lr: 6e-4, n: 104857600, x: 0.5, s: "6e-4" });
  });

  it("normalises dashes in top-level keys only", () => {
    const p = parseConfigText("train-iters: 10\noptimizer:\n  type: Adam\n  some-key: 1\n", "f.yml");
    expect(p.values).toEqual({ train_iters: 10, optimizer: { type: "Adam", "some-key": 1 } });
  });

  it("remembers the line of every key, nested ones by dotted path", () => {
    const p = parseConfigText("# comment\na: 1\noptimizer:\n  params:\n    lr: 0.1\n", "cfg.yml");
    expect(p.sources.get("a")).toMatchObject({ file: "cfg.yml", line: 2 });
    expect(p.sources.get("optimizer.params.lr")).toMatchObject({ line: 5 });
  });

  it("reports a key repeated in one file with both lines, including dash/underscore twins", () => {
    const p = parseConfigText("train_iters: 1\nseed: 2\ntrain-iters: 3\n", "f.yml");
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]).toMatchObject({ kind: "yaml_syntax", key: "train_iters", line: 3 });
    expect(p.problems[0]!.message).toContain("lines 1 and 3");
  });

  it("reports YAML syntax errors with line and column", () => {
    const p = parseConfigText("a: 1\nb: [1, 2\nc: 3\n", "bad.yml");
    expect(p.problems.length).toBeGreaterThan(0);
    expect(p.problems[0]).toMatchObject({ kind: "yaml_syntax", file: "bad.yml" });
    expect(p.problems[0]!.line).toBeGreaterThanOrEqual(2);
    expect(p.problems[0]!.column).toBeGreaterThan(0);
  });

  it("accepts JSON (GPT-NeoX configs are often JSON-with-comments)", () => {
    const p = parseConfigText('{\n  "num_layers": 2,\n  # a comment\n  "pos_emb": "rotary",\n}\n', "f.yml");
    expect(p.problems).toEqual([]);
    expect(p.values).toEqual({ num_layers: 2, pos_emb: "rotary" });
    expect(p.sources.get("pos_emb")!.line).toBe(4);
  });

  it("treats an empty file as an empty config and a scalar document as an error", () => {
    expect(parseConfigText("# nothing\n", "e.yml").values).toEqual({});
    expect(parseConfigText("42\n", "s.yml").problems[0]!.kind).toBe("yaml_syntax");
  });
});
