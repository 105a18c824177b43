// `neox train`'s arguments and the mapping from a resolved config to @neox/data-mmap's dataset
// arguments (the keys GPT-NeoX's build_train_valid_test_data_loaders reads).
import { parseConfigText, resolveParsed } from "@neox/config";
import { describe, expect, it } from "vitest";
import { neoxDataArgs, parseArgs, UsageError } from "../src/index";

describe("parseArgs", () => {
  it("takes configs, repeated --set overrides and --dry-run", () => {
    expect(parseArgs(["a.yml", "--set", "train_iters=5", "b.yml", "--set=seed=7", "--dry-run"])).toEqual({
      configs: ["a.yml", "b.yml"],
      overrides: ["train_iters=5", "seed=7"],
      dryRun: true,
      device: null,
    });
    expect(parseArgs(["a.yml", "--device", "cuda:1"])).toMatchObject({ device: "cuda:1" });
    expect(parseArgs(["a.yml", "--device=cpu"])).toMatchObject({ device: "cpu" });
    expect(parseArgs(["--help"])).toBe("help");
  });

  it("refuses what it cannot use, as usage errors (exit 2)", () => {
    const usage = (argv: string[]) => {
      try {
        parseArgs(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as UsageError).exitCode).toBe(2);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(usage([])).toBe("no config files given (see neox train --help)");
    expect(usage(["a.yml", "--set"])).toBe("--set expects key=value, got nothing");
    expect(usage(["a.yml", "--set", "train_iters"])).toBe("--set expects key=value, got train_iters");
    expect(usage(["a.yml", "--steps", "3"])).toBe("unknown option --steps (see neox train --help)");
    expect(usage(["a.yml", "--device"])).toBe("--device expects cpu, cuda or cuda:N, got nothing");
  });
});

describe("neoxDataArgs", () => {
  it("passes GPT-NeoX's data keys and the derived batch size and weights", () => {
    const yaml = `
num_layers: 2
hidden_size: 16
num_attention_heads: 4
seq_length: 32
max_position_embeddings: 32
train_micro_batch_size_per_gpu: 4
gradient_accumulation_steps: 2
train_iters: 10
train_data_paths: [a, b]
train_data_weights: [1, 3]
valid_data_paths: [c]
test_data_paths: [d]
eval_interval: 5
eval_iters: 2
seed: 9
`;
    const r = resolveParsed([parseConfigText(yaml, "t.yml")], { vocabSize: 100 });
    const a = neoxDataArgs(r);
    expect(a.train_data_paths).toEqual(["a", "b"]);
    expect(a.train_data_weights).toEqual([1, 3]);
    expect(a.valid_data_paths).toEqual(["c"]);
    expect(a.train_batch_size).toBe(8); // micro 4 × gas 2 × dp 1
    expect(a.seq_length).toBe(32);
    expect(a.seed).toBe(9);
    expect(a.train_iters).toBe(10);
    expect([a.eval_interval, a.eval_iters]).toEqual([5, 2]);
  });
});
