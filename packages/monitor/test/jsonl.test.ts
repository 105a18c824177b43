import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonlSink } from "../src/jsonl";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "neox-jsonl-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);

describe("JsonlSink", () => {
  it("writes one object per log call, iteration first, GPT-NeoX names as keys", () => {
    const sink = new JsonlSink(join(dir, "logs"));
    sink.log(1, { "train/lm_loss": 10.5, "train/learning_rate": 6e-5 });
    sink.log(2, { "train/lm_loss": 9.25, "runtime/tokens_per_sec": 4096 });
    sink.close();
    expect(sink.path).toBe(join(dir, "logs", "metrics.jsonl"));
    const text = readFileSync(sink.path, "utf8");
    expect(text.startsWith('{"iteration":1,')).toBe(true);
    expect(lines(sink.path).map((l) => JSON.parse(l))).toEqual([
      { iteration: 1, "train/lm_loss": 10.5, "train/learning_rate": 6e-5 },
      { iteration: 2, "train/lm_loss": 9.25, "runtime/tokens_per_sec": 4096 },
    ]);
  });

  it("is on disk line by line, before flush or close", () => {
    const sink = new JsonlSink(dir);
    sink.log(1, { "train/lm_loss": 3 });
    expect(lines(sink.path)).toEqual(['{"iteration":1,"train/lm_loss":3}']);
    sink.close();
  });

  it("writes non-finite numbers as strings so every line stays valid JSON", () => {
    const sink = new JsonlSink(dir);
    sink.log(7, { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY, d: -0.5 });
    sink.close();
    expect(JSON.parse(lines(sink.path)[0]!)).toEqual({
      iteration: 7,
      a: "NaN",
      b: "Infinity",
      c: "-Infinity",
      d: -0.5,
    });
  });

  it("appends on resume instead of truncating", () => {
    const first = new JsonlSink(dir);
    first.log(1, { x: 1 });
    first.close();
    const resumed = new JsonlSink(dir);
    resumed.log(2, { x: 2 });
    resumed.close();
    expect(lines(resumed.path).map((l) => JSON.parse(l).iteration)).toEqual([1, 2]);
  });

  it("starts on a fresh line after a partial line left by a crash", () => {
    writeFileSync(join(dir, "metrics.jsonl"), '{"iteration":1,"x":1}\n{"iteration":2,"x"');
    const sink = new JsonlSink(dir);
    sink.log(3, { x: 3 });
    sink.close();
    const all = lines(sink.path);
    expect(all).toHaveLength(3);
    expect(JSON.parse(all[2]!)).toEqual({ iteration: 3, x: 3 });
  });

  it("records events with their iteration", () => {
    const sink = new JsonlSink(dir);
    sink.event("checkpoint", "saved global_step100", 100);
    sink.event("note", "no iteration");
    sink.close();
    expect(lines(sink.path).map((l) => JSON.parse(l))).toEqual([
      { iteration: 100, event: "checkpoint", text: "saved global_step100" },
      { event: "note", text: "no iteration" },
    ]);
  });

  it("refuses bad iterations, a metric named iteration and writes after close, naming the file", () => {
    const sink = new JsonlSink(dir);
    expect(() => sink.log(-1, {})).toThrow(/metrics\.jsonl: iteration must be an integer >= 0, got -1/);
    expect(() => sink.log(1, { iteration: 5 })).toThrow(
      /metrics\.jsonl: metric name "iteration" is reserved/,
    );
    expect(() => sink.log(1, { x: "1" as unknown as number })).toThrow(/metric x at iteration 1 is string/);
    sink.close();
    expect(() => sink.log(1, {})).toThrow(/metrics\.jsonl: metrics sink is closed/);
    expect(lines(sink.path)).toEqual([]);
  });
});
