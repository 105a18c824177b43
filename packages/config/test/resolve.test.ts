import { describe, expect, it } from "vitest";
import { parseConfigText } from "../src/load/yaml-file";
import { resolveParsed, withVocabSize } from "../src/resolve";
import { flatJson } from "../src/show";

const resolve = (texts: string[], opts = {}) =>
  resolveParsed(
    texts.map((t, i) => parseConfigText(t, `f${i}.yml`)),
    opts,
  );

const MODEL =
  "num_layers: 2\nhidden_size: 64\nnum_attention_heads: 4\nmax_position_embeddings: 128\nseq_length: 128\ntrain_micro_batch_size_per_gpu: 2\ntrain_iters: 10\n";

describe("resolveConfig", () => {
  it("fills GPT-NeoX defaults and canonicalises Literal spellings", () => {
    const r = resolve([`${MODEL}pos_emb: ROTARY\n`]);
    expect(r.problems).toEqual([]);
    expect(r.values.pos_emb).toBe("rotary");
    expect(r.values.seed).toBe(1234);
    expect(r.values.split).toBe("969, 30, 1");
    expect(r.given.has("pos_emb")).toBe(true);
    expect(r.given.has("seed")).toBe(false);
  });

  it("is frozen all the way down", () => {
    const r = resolve([`${MODEL}optimizer:\n  type: Adam\n  params:\n    lr: 0.1\n`]);
    expect(() => {
      (r.values.optimizer as { params: { lr: number } }).params.lr = 1;
    }).toThrow(TypeError);
    expect(Object.isFrozen(r.derived.zero_optimization)).toBe(true);
  });

  it("maps positive aliases to GPT-NeoX's keys and reports a contradiction", () => {
    const r = resolve([`${MODEL}tie_embeddings: false\nparallel_residual: true\n`]);
    expect(r.problems).toEqual([]);
    expect(r.values.no_weight_tying).toBe(true);
    expect(r.values.gpt_j_residual).toBe(true);
    expect(r.sources.get("no_weight_tying")).toMatchObject({ file: "f0.yml", line: 8 });
    const bad = resolve([`${MODEL}tie_embeddings: true\nno_weight_tying: true\n`]);
    expect(bad.problems.map((p) => p.kind)).toEqual(["combination"]);
  });

  it("reports unsupported values naming the feature, and notes for no-effect keys", () => {
    const r = resolve([`${MODEL}moe_num_experts: 8\npartition_activations: true\n`]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ kind: "unsupported", key: "moe_num_experts", line: 8 });
    expect(r.problems[0]!.message).toBe("moe_num_experts > 1: mixture-of-experts is not supported yet");
    expect(r.notes.map((n) => n.key)).toEqual(["partition_activations"]);
  });

  it("checks a fragment only for what it says; a model file also for what GPT-NeoX requires", () => {
    expect(resolve(["seed: 1\nsave: ckpt\n"]).problems).toEqual([]);
    const model = resolve(["num_layers: 2\nhidden_size: 64\nnum_attention_heads: 4\n"]);
    expect(model.problems.map((p) => `${p.kind}:${p.key}`).sort()).toEqual([
      "incomplete:max_position_embeddings",
      "incomplete:train_batch_size",
    ]);
    const complete = resolve(["seed: 1\n"], { complete: true });
    expect(complete.problems.map((p) => p.key)).toContain("train_iters");
  });

  it("reports range errors and the world size a layout does not fit", () => {
    const r = resolve([`${MODEL}hidden_dropout: 1.5\nmodel_parallel_size: 3\n`], { worldSize: 4 });
    expect(r.problems.map((p) => p.kind).sort()).toEqual(["range", "world_size"]);
  });

  it("checks deepspeed_extra_args entries like top-level keys", () => {
    const r = resolve([
      `${MODEL}deepspeed_extra_args:\n  bf16: {enabled: true}\n  zero_allow_untested: true\n  train_iters: 5\n`,
    ]);
    expect(r.problems.map((p) => `${p.kind}:${p.key}`).sort()).toEqual([
      "combination:deepspeed_extra_args.train_iters",
      "unknown_key:deepspeed_extra_args.zero_allow_untested",
    ]);
  });

  it("later files override earlier ones and --set overrides both, with sources in the flat JSON", () => {
    const r = resolve([MODEL, "train_iters: 20\n"], {
      overrides: ["seed=7"],
      worldSize: 4,
      vocabSize: 50257,
    });
    const j = flatJson(r);
    expect(j).toMatchObject({ train_iters: 20, seed: 7, train_batch_size: 8, padded_vocab_size: 50304 });
    expect((j._sources as Record<string, string>).train_iters).toBe("f1.yml:1");
    expect((j._sources as Record<string, string>).seed).toBe("--set seed=7 (command line)");
    expect(Object.keys(j)).toContain("mlp_linear1_out_features");
  });

  it("attaches a tokenizer's vocabulary size after resolving, padded for the TP size", () => {
    const r = resolve([`${MODEL}model_parallel_size: 2\n`], { worldSize: 2 });
    expect(r.derived.padded_vocab_size).toBeNull();
    const v = withVocabSize(r, 50277);
    expect(v.derived.padded_vocab_size).toBe(50432); // neox-spec §7: 20B tokenizer at TP 2
    expect(v.derived.train_batch_size).toBe(r.derived.train_batch_size);
    expect(withVocabSize(r, null).derived.padded_vocab_size).toBeNull();
  });
});
