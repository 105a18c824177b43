import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsoleSink } from "../src/console";
import { JsonlSink } from "../src/jsonl";
import { type MetricSink, Monitor } from "../src/sink";
import { decodeEventFile } from "../src/tensorboard/reader";
import { TensorBoardWriter } from "../src/tensorboard/writer";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "neox-monitor-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("Monitor", () => {
  it("sends each iteration to the console, metrics.jsonl and TensorBoard alike", () => {
    let printed = "";
    const jsonl = new JsonlSink(join(dir, "logs"));
    const tb = new TensorBoardWriter(join(dir, "tb"), { hostname: "h" });
    const monitor = new Monitor([
      new ConsoleSink({ train_iters: 3, stream: { write: (s: string) => (printed += s) } }),
      jsonl,
      tb,
    ]);
    const losses = [10.5, 8.25, 7.125];
    for (const [i, loss] of losses.entries()) monitor.log(i + 1, { "train/lm_loss": loss });
    monitor.event("checkpoint", "saved", 3);
    monitor.close();

    expect(printed).toContain("lm_loss: 8.250000E+00");
    expect(printed).toContain("checkpoint: saved");
    const rows = readFileSync(jsonl.path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.filter((r) => "train/lm_loss" in r).map((r) => [r.iteration, r["train/lm_loss"]])).toEqual([
      [1, 10.5],
      [2, 8.25],
      [3, 7.125],
    ]);
    expect(decodeEventFile(readFileSync(tb.path)).scalars).toEqual(
      losses.map((value, i) => ({ step: i + 1, tag: "train/lm_loss", value })),
    );
  });

  it("closes every sink when one fails to close, then throws that failure", () => {
    const closed: string[] = [];
    const sink = (name: string, fail: boolean): MetricSink => ({
      log() {},
      flush() {},
      close() {
        closed.push(name);
        if (fail) throw new Error(`${name} failed`);
      },
    });
    const monitor = new Monitor([sink("a", false), sink("b", true), sink("c", true)]);
    expect(() => monitor.close()).toThrow("b failed");
    expect(closed).toEqual(["a", "b", "c"]);
  });
});
