// The command line (tasks run until the next flag; --limit as the harness reads it) and eval.py's
// results file name.
import { describe, expect, it } from "vitest";
import { limitDocs, parseArgs, UsageError } from "../src/args";
import { resultsPath, timestamp } from "../src/results";

describe("parseArgs", () => {
  it("takes the task names up to the next flag; configs may come on either side", () => {
    const a = parseArgs(["a.yml", "--eval_tasks", "piqa", "wikitext", "--limit", "5", "b.yml", "--json"]);
    expect(a).toMatchObject({
      configs: ["a.yml", "b.yml"],
      tasks: ["piqa", "wikitext"],
      limit: 5,
      json: true,
    });
  });

  it("rejects what it cannot read, with exit code 2", () => {
    for (const bad of [
      ["a.yml", "--eval_tasks"],
      ["a.yml", "--limit", "0"],
      ["a.yml", "--limit", "1.5"],
      ["a.yml", "--batch-size", "x"],
      ["a.yml", "--bogus"],
      ["--eval_tasks", "piqa"],
    ]) {
      expect(() => parseArgs(bad)).toThrow(UsageError);
    }
  });

  it("--limit below 1 is a fraction of the documents, rounded up", () => {
    expect(limitDocs(1838, 0.1)).toBe(184);
    expect(limitDocs(1838, 10)).toBe(10);
    expect(limitDocs(5, 10)).toBe(5);
    expect(limitDocs(5, null)).toBe(5);
  });
});

describe("resultsPath", () => {
  // 7 March 2026, 04:05:06 local time: %m-%d-%Y-%H-%M-%S
  const d = new Date(2026, 2, 7, 4, 5, 6);
  it("is eval_results_<%m-%d-%Y-%H-%M-%S>.json, with <prefix>_ in front for a prefix", () => {
    expect(timestamp(d)).toBe("03-07-2026-04-05-06");
    expect(resultsPath("", d)).toBe("eval_results_03-07-2026-04-05-06.json");
    expect(resultsPath("runs/pythia", d)).toBe("runs/pythia_eval_results_03-07-2026-04-05-06.json");
  });
});
