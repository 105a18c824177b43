// The YAML presets under configs/: each parses, uses only declared keys (or aliases), switches on
// nothing unsupported, and carries the published facts of its model. The full validator and the
// derived values are checked by the loader's own tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALIAS_BY_NAME, ARGS_BY_NAME, unsupportedMessage } from "../../src/args/index";
import { CONFIGS_DIR } from "./paths";

function ymlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return ymlFiles(path);
    return name.endsWith(".yml") ? [path] : [];
  });
}

const PRESETS = new Map<string, Record<string, unknown>>(
  ymlFiles(CONFIGS_DIR).map((p) => [
    relative(CONFIGS_DIR, p),
    parse(readFileSync(p, "utf8")) as Record<string, unknown>,
  ]),
);
const preset = (name: string): Record<string, unknown> => {
  const p = PRESETS.get(name);
  if (!p) throw new Error(`configs/${name} is missing`);
  return p;
};

// GPT-NeoX's MLP widths for a gated activation (neox-spec §1.1, megatron/model/transformer.py
// ParallelMLP): linear1 holds both halves, linear2's input is one half.
function gatedWidths(intermediate: number, multipleOf: number): { linear1: number; half: number } {
  const ffn = Math.floor((intermediate * 2) / 3);
  return {
    linear1: 2 * multipleOf * Math.ceil(ffn / (2 * multipleOf)),
    half: multipleOf * Math.ceil(Math.floor(ffn / 2) / multipleOf),
  };
}

describe("configs/ presets", () => {
  it("include every preset the project ships", () => {
    const expected = [
      ...["14M", "31M", "70M", "160M", "410M", "1B", "1-4B", "2-8B", "6-9B", "12B"].map(
        (s) => `pythia/${s}.yml`,
      ),
      ...["125M", "350M", "760M", "1-3B", "2-7B", "6-7B", "13B", "20B"].map((s) => `${s}.yml`),
      ...["7B", "13B", "30B", "65B", "train_config"].map((s) => `llama/${s}.yml`),
      ...["7B", "13B", "70B"].map((s) => `llama2/${s}.yml`),
      "mistral/7B.yml",
      "local_setup.yml",
      "tiny.yml",
      "tiny-llama.yml",
      "tiny-mistral.yml",
    ];
    expect([...PRESETS.keys()].sort()).toEqual(expected.sort());
  });

  it("start with a comment saying what they are", () => {
    for (const name of PRESETS.keys()) {
      expect(readFileSync(join(CONFIGS_DIR, name), "utf8"), name).toMatch(/^# \S.{20,}\n#/);
    }
  });

  it("use only declared keys and aliases, and switch on nothing unsupported", () => {
    for (const [name, cfg] of PRESETS) {
      expect(typeof cfg, name).toBe("object");
      for (const [key, value] of Object.entries(cfg)) {
        const canonical = ALIAS_BY_NAME.get(key)?.canonical ?? key;
        const decl = ARGS_BY_NAME.get(canonical);
        expect(decl, `${name}: ${key}`).toBeDefined();
        expect(key, `${name}: write ${key} with underscores`).not.toContain("-");
        expect(unsupportedMessage(decl!, value), `${name}: ${key}`).toBeUndefined();
        expect(decl!.support.status, `${name}: ${key} has no effect here; leave it out`).not.toBe(
          "no_effect",
        );
      }
    }
  });

  // Pythia suite (arXiv:2304.01373, Table 1; GPT-NeoX configs/pythia): layers, width, heads,
  // learning rate, and the process count whose micro x GAS x dp gives the 1024-sample batch.
  const PYTHIA: [string, number, number, number, number, number][] = [
    ["14M", 6, 128, 4, 1.0e-3, 32],
    ["31M", 6, 256, 8, 1.0e-3, 32],
    ["70M", 6, 512, 8, 1.0e-3, 32],
    ["160M", 12, 768, 12, 6.0e-4, 32],
    ["410M", 24, 1024, 16, 3.0e-4, 32],
    ["1B", 16, 2048, 8, 2.5e-4, 64],
    ["1-4B", 24, 2048, 16, 2.0e-4, 64],
    ["2-8B", 32, 2560, 32, 1.6e-4, 64],
    ["6-9B", 32, 4096, 32, 1.2e-4, 128],
    ["12B", 36, 5120, 40, 1.2e-4, 256],
  ];
  it.each(PYTHIA)(
    "pythia/%s.yml carries Pythia's shape and a 1024-sample batch",
    (size, layers, width, heads, lr, procs) => {
      const c = preset(`pythia/${size}.yml`);
      expect([c.num_layers, c.hidden_size, c.num_attention_heads]).toEqual([layers, width, heads]);
      expect([c.seq_length, c.max_position_embeddings, c.pos_emb, c.rotary_pct]).toEqual([
        2048,
        2048,
        "rotary",
        0.25,
      ]);
      expect([c.gpt_j_residual, c.no_weight_tying, c.bias_gelu_fusion]).toEqual([true, true, true]);
      expect((c.optimizer as { params: { lr: number } }).params.lr).toBe(lr);
      expect(c.min_lr).toBeCloseTo(lr / 10, 12);
      expect([c.train_iters, c.lr_decay_style, c.tokenizer_type]).toEqual([143000, "cosine", "HFTokenizer"]);
      expect(c.train_batch_size).toBeUndefined(); // Pythia's configs give the batch as micro x GAS x dp
      const dp = procs / (Math.max(c.pipe_parallel_size as number, 1) * (c.model_parallel_size as number));
      expect(
        (c.train_micro_batch_size_per_gpu as number) * (c.gradient_accumulation_steps as number) * dp,
      ).toBe(1024);
    },
  );

  // Published gated-MLP widths (HF config.json intermediate_size) and attention shapes.
  const GATED: [string, number, number, number | undefined][] = [
    ["llama/7B.yml", 11008, 32, undefined],
    ["llama/13B.yml", 13824, 40, undefined],
    ["llama/30B.yml", 17920, 52, undefined],
    ["llama/65B.yml", 22016, 64, undefined],
    ["llama2/7B.yml", 11008, 32, undefined],
    ["llama2/13B.yml", 13824, 40, undefined],
    ["llama2/70B.yml", 28672, 64, 8],
    ["mistral/7B.yml", 14336, 32, 8],
  ];
  it.each(GATED)("%s builds the published MLP width %i", (name, width, heads, kvHeads) => {
    const c = preset(name);
    const w = gatedWidths(c.intermediate_size as number, (c.mlp_multiple_of as number) ?? 1);
    expect(w.half).toBe(width);
    expect(w.linear1).toBe(2 * width);
    expect([c.activation, c.norm, c.pos_emb, c.no_weight_tying]).toEqual([
      "swiglu",
      "rmsnorm",
      "rotary",
      true,
    ]);
    expect([c.num_attention_heads, c.num_kv_heads]).toEqual([heads, kvHeads]);
    expect([c.use_bias_in_norms, c.use_bias_in_attn_linear, c.use_bias_in_mlp]).toEqual([
      false,
      false,
      false,
    ]);
    expect(c.rotary_emb_base).toBe(10000);
  });

  it("mistral/7B.yml has Mistral's sliding window and norm", () => {
    const c = preset("mistral/7B.yml");
    expect([c.sliding_window_width, c.rms_norm_epsilon, c.num_layers, c.hidden_size]).toEqual([
      4096, 1e-5, 32, 4096,
    ]);
  });

  it("20B.yml is GPT-NeoX-20B", () => {
    const c = preset("20B.yml");
    expect([c.num_layers, c.hidden_size, c.num_attention_heads, c.rotary_pct, c.gpt_j_residual]).toEqual([
      44,
      6144,
      64,
      0.25,
      true,
    ]);
  });

  it("tiny presets are small enough for one CPU", () => {
    for (const name of ["tiny.yml", "tiny-llama.yml", "tiny-mistral.yml"]) {
      const c = preset(name);
      expect((c.num_layers as number) * (c.hidden_size as number) ** 2, name).toBeLessThanOrEqual(
        2 * 128 * 128,
      );
      expect(c.seq_length, name).toBeLessThanOrEqual(128);
      expect(c.pipe_parallel_size ?? 0, name).toBe(0);
      expect(c.precision, name).toBe("fp32");
    }
    const m = preset("tiny-mistral.yml");
    expect((m.num_attention_heads as number) % (m.num_kv_heads as number)).toBe(0);
    expect(m.sliding_window_width as number).toBeLessThan(m.seq_length as number);
  });

  it("local_setup.yml holds only paths", () => {
    expect(Object.keys(preset("local_setup.yml")).sort()).toEqual(
      ["data_path", "load", "log_dir", "merge_file", "save", "tensorboard_dir", "vocab_file"].sort(),
    );
  });
});
