import { describe, expect, it } from "vitest";
import { emptyMerged, mergeLayer } from "../src/load/merge";
import { parseOverrides } from "../src/load/overrides";
import { parseConfigText } from "../src/load/yaml-file";

const layer = (text: string, file: string) => {
  const p = parseConfigText(text, file);
  return [p.values, p.sources] as const;
};

describe("merging files left to right", () => {
  it("a later file overrides an earlier one and dicts merge deeply, with sources", () => {
    const m = emptyMerged();
    mergeLayer(
      m,
      ...layer("seed: 1\noptimizer:\n  type: Adam\n  params:\n    lr: 0.1\n    eps: 1.0e-8\n", "a.yml"),
    );
    mergeLayer(m, ...layer("seed: 2\noptimizer:\n  params:\n    lr: 0.2\n", "b.yml"));
    expect(m.values).toEqual({ seed: 2, optimizer: { type: "Adam", params: { lr: 0.2, eps: 1e-8 } } });
    expect(m.sources.get("seed")).toMatchObject({ file: "b.yml", line: 1 });
    expect(m.sources.get("optimizer.params.lr")).toMatchObject({ file: "b.yml", line: 4 });
    expect(m.sources.get("optimizer.params.eps")).toMatchObject({ file: "a.yml", line: 6 });
  });

  it("lists and scalars replace; a dict replacing a scalar forgets nothing it should keep", () => {
    const m = emptyMerged();
    mergeLayer(m, ...layer("attention_config: [[[global], 2]]\nzero_optimization: null\n", "a.yml"));
    mergeLayer(m, ...layer("attention_config: [[[flash], 2]]\nzero_optimization:\n  stage: 1\n", "b.yml"));
    expect(m.values).toEqual({ attention_config: [[["flash"], 2]], zero_optimization: { stage: 1 } });
    expect(m.sources.get("zero_optimization.stage")).toMatchObject({ file: "b.yml", line: 3 });
  });

  it("--set overrides parse their value as YAML and reach inside dicts", () => {
    const o = parseOverrides([
      "train-iters=100",
      "optimizer.params.lr=3e-4",
      "no_weight_tying=true",
      "split=949,50,1",
    ]);
    expect(o.problems).toEqual([]);
    expect(o.values).toEqual({
      train_iters: 100,
      optimizer: { params: { lr: 3e-4 } },
      no_weight_tying: true,
      split: "949,50,1",
    });
    expect(o.sources.get("optimizer.params.lr")).toEqual({
      file: "--set optimizer.params.lr=3e-4 (command line)",
      line: 0,
    });
    expect(parseOverrides(["novalue"]).problems[0]!.message).toContain("key=value");
  });
});
