// Worked examples from neox-spec §3.2 and §7.
import { describe, expect, it } from "vitest";
import { batchTriple, derive, expandAttention, mlpWidths, paddedVocab } from "../src/derive";

describe("derived values", () => {
  it("pads the vocabulary to a multiple of 128 × TP (neox-spec §7 (5))", () => {
    expect(paddedVocab(50257, 128, 1)).toBe(50304);
    expect(paddedVocab(50277, 128, 1)).toBe(50304);
    expect(paddedVocab(50277, 128, 2)).toBe(50432);
    expect(paddedVocab(null, 128, 1)).toBeNull();
  });

  it("computes MLP widths by GPT-NeoX's formula (neox-spec §7 (6))", () => {
    expect(mlpWidths({ activation: "swiglu", intermediate_size: 32768, mlp_multiple_of: 256 }, 4096)).toEqual(
      {
        gated: true,
        linear1Out: 22016,
        linear2In: 11008,
      },
    );
    expect(mlpWidths({ activation: "gelu" }, 512)).toEqual({
      gated: false,
      linear1Out: 2048,
      linear2In: 2048,
    });
    // m = 1 breaks gated layers: 21846 vs 10922 (neox-spec §1.1)
    expect(mlpWidths({ activation: "swiglu", intermediate_size: 32768 }, 4096)).toMatchObject({
      linear1Out: 21846,
      linear2In: 10922,
    });
  });

  it("derives the batch triple in every case of calculate_batch_parameters", () => {
    expect(batchTriple(4, 64, 8, 2)).toEqual({ t: 64, m: 8, g: 2 });
    expect(batchTriple(4, 64, 8, null)).toEqual({ t: 64, m: 8, g: 2 });
    expect(batchTriple(4, 64, null, 2)).toEqual({ t: 64, m: 8, g: 2 });
    expect(batchTriple(4, null, 8, 2)).toEqual({ t: 64, m: 8, g: 2 });
    expect(batchTriple(4, 64, null, null)).toEqual({ t: 64, m: 16, g: 1 });
    expect(batchTriple(4, null, 8, null)).toEqual({ t: 32, m: 8, g: 1 });
    expect(batchTriple(4, null, null, 2).problem?.kind).toBe("incomplete");
    // GAS defaults to 1 (not None) in GPT-NeoX, so T and M with the default G must agree
    expect(batchTriple(4, 64, 8, 1).problem?.kind).toBe("combination");
  });

  it("derives Pythia-70M's batch on 32 GPUs: micro 32 × GAS 1 × dp 32 = 1024", () => {
    const { derived, problems } = derive(
      {
        train_micro_batch_size_per_gpu: 32,
        gradient_accumulation_steps: 1,
        pipe_parallel_size: 1,
        model_parallel_size: 1,
      },
      { worldSize: 32, vocabSize: 50277 },
    );
    expect(problems).toEqual([]);
    expect(derived).toMatchObject({
      train_batch_size: 1024,
      data_parallel_size: 32,
      padded_vocab_size: 50304,
    });
  });

  it("reports a world size the layout does not fit", () => {
    const { problems } = derive(
      { pipe_parallel_size: 2, model_parallel_size: 2, train_batch_size: 8 },
      { worldSize: 6 },
    );
    expect(problems.map((p) => p.kind)).toContain("world_size");
  });

  it("defaults the world size to num_gpus × num_nodes, else the smallest that fits", () => {
    expect(derive({ num_gpus: 4, num_nodes: 2, train_micro_batch_size_per_gpu: 1 }).derived.world_size).toBe(
      8,
    );
    const d = derive({
      pipe_parallel_size: 2,
      model_parallel_size: 4,
      train_micro_batch_size_per_gpu: 1,
    }).derived;
    expect([d.world_size, d.world_size_source, d.data_parallel_size]).toEqual([8, "smallest", 1]);
  });

  it("derives precision like GPT-NeoX, including the fp16 dict it injects", () => {
    expect(derive({ fp16: { enabled: true, loss_scale: 0 } }).derived).toMatchObject({
      precision: "fp16",
      fp16: { enabled: true, loss_scale: 0 },
    });
    expect(derive({ precision: "fp16" }).derived.fp16).toEqual({ type: "fp16", enabled: true });
    expect(derive({ bf16: { enabled: true } }).derived.precision).toBe("bfloat16");
    expect(derive({}).derived.precision).toBe("fp32");
    expect(derive({ precision: "fp32", fp16: { enabled: true } }).problems.map((x) => x.kind)).toContain(
      "combination",
    );
  });

  it("expands attention_config per layer", () => {
    const p: never[] = [];
    expect(expandAttention(null, 3, p)).toEqual(["global", "global", "global"]);
    expect(expandAttention([[["global", "local"], 2]], 4, p)).toEqual(["global", "local", "global", "local"]);
    expect(expandAttention([[["flash"], "all"]], 2, p)).toEqual(["flash", "flash"]);
    const bad: { kind: string }[] = [];
    expandAttention([[["global"], 3]], 4, bad as never);
    expect(bad[0]!.kind).toBe("combination");
  });

  it("derives warmup iterations from warmup × lr_decay_iters (neox-spec §7 (4): 3200)", () => {
    expect(derive({ warmup: 0.01, lr_decay_iters: 320000, train_iters: 320000 }).derived.warmup_iters).toBe(
      3200,
    );
    expect(derive({ warmup: 0.01, train_iters: 1000 }).derived.lr_decay_iters).toBe(1000);
    expect(derive({ lr_decay_fraction: 0.5, train_iters: 1001 }).derived.lr_decay_iters).toBe(500);
  });

  it("takes the optimizer type and lr from the optimizer dict, else GPT-NeoX's default Adam 1e-3", () => {
    expect(derive({}).derived).toMatchObject({ optimizer_type: "Adam", lr: 0.001 });
    expect(derive({ optimizer: { type: "Adam", params: { lr: 6e-4 } } }).derived.lr).toBe(6e-4);
  });
});
