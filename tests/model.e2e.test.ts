// `neox model info` end to end: Pythia-70M sized from its preset and the 20B tokenizer, the JSON
// contract's keys, and configs with problems reported one line each with the key named.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runNeox } from "./helpers/run-neox";
import { haveShared, SHARED } from "./helpers/shared";

const dir = mkdtempSync(join(tmpdir(), "neox-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveShared())("neox model info on Pythia-70M", () => {
  const tok = () => resolve(SHARED, "data/tokenizers/gpt-neox-20b/tokenizer.json");
  const args = (...more: string[]) => [
    "model",
    "info",
    "configs/pythia/70M.yml",
    "configs/local_setup.yml",
    "--set",
    `vocab_file=${tok()}`,
    ...more,
  ];

  it("--json has the contract's keys; 70,426,624 parameters with the vocabulary padded to 50304", () => {
    const r = runNeox(args("--json"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    for (const k of [
      "parameters",
      "non_embedding_parameters",
      "flops_per_token",
      "memory_bytes",
      "architecture",
      "layers",
      "hidden_size",
      "padded_vocab_size",
    ])
      expect(info).toHaveProperty(k);
    expect(info.parameters).toBe(70_426_624);
    expect(info.non_embedding_parameters).toBe(70_426_624 - 2 * 50304 * 512);
    expect(info.padded_vocab_size).toBe(50304);
    expect(info.layers).toBe(6);
    expect(info.hidden_size).toBe(512);
    expect(info.architecture).toBe("gpt-neox");
    // neox-spec §1.9 per token, f = 3: 24·3·l·h²·(1 + s/(6h) + V/(16lh))
    const [l, h, s, V] = [6, 512, 2048, 50304];
    expect(info.flops_per_token).toBeCloseTo(72 * l * h * h * (1 + s / (6 * h) + V / (16 * l * h)), 0);
    // fp16 preset: 16-bit weights and gradients, fp32 master weights + Adam moments
    expect(info.memory_bytes).toEqual({
      weights: 2 * 70_426_624,
      gradients: 2 * 70_426_624,
      optimizer_state: 12 * 70_426_624,
      activations: expect.any(Number),
      activations_checkpointed: expect.any(Number),
    });
    expect(info.memory_bytes.activations_checkpointed).toBeLessThan(info.memory_bytes.activations);
  });

  it("the text report shows the count, and --world-size splits the ZeRO-1 optimizer state", () => {
    const r = runNeox(args("--world-size", "8"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/parameters\s+70,426,624/);
    expect(r.stdout).toMatch(/per GPU at world size 8/);
    const one = JSON.parse(runNeox(args("--json")).stdout);
    const eight = JSON.parse(runNeox(args("--json", "--world-size", "8")).stdout);
    expect(eight.memory_bytes_per_gpu.optimizer_state).toBe(Math.ceil(one.memory_bytes.optimizer_state / 8));
    expect(eight.memory_bytes_per_gpu.weights).toBe(one.memory_bytes.weights);
  });

  it("--params lists the parameter names with GPT-NeoX's sequential keys and shapes", () => {
    const r = runNeox(args("--json", "--params"));
    const table = JSON.parse(r.stdout).parameter_table as {
      name: string;
      sequential: string;
      shape: number[];
    }[];
    expect(table[0]).toEqual({
      name: "word_embeddings.weight",
      sequential: "sequential.0.word_embeddings.weight",
      shape: [50304, 512],
      numel: 50304 * 512,
    });
    expect(table.at(-1)?.name).toBe("final_linear.weight");
    expect(table.at(-1)?.sequential).toBe("sequential.10.final_linear.weight");
  });
});

describe("neox model info on bad configs", () => {
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const base = "num_layers: 2\nmax_position_embeddings: 64\ntrain_micro_batch_size_per_gpu: 1\n";

  it("heads not dividing the hidden size: one line naming the key, exit 1", () => {
    const f = write("heads.yml", `${base}hidden_size: 100\nnum_attention_heads: 3\n`);
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(f);
    expect(lines[0]).toContain("num_attention_heads");
    expect(lines[0]).toContain("hidden_size (100)");
  });

  it("an unknown activation: one line naming the key and the expected values, exit 1", () => {
    const f = write("act.yml", `${base}hidden_size: 64\nnum_attention_heads: 4\nactivation: gelu2\n`);
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/activation: expected .*"swiglu"/);
    expect(lines[0]).toContain('"gelu2"');
  });

  it("kv heads not dividing heads: one line naming num_kv_heads", () => {
    const f = write("kv.yml", `${base}hidden_size: 64\nnum_attention_heads: 4\nnum_kv_heads: 3\n`);
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("num_kv_heads");
  });

  it("a tokenizer that does not load: one line naming vocab_file, exit 1", () => {
    const f = write(
      "tok.yml",
      `${base}hidden_size: 64\nnum_attention_heads: 4\ntokenizer_type: HFTokenizer\nvocab_file: ${join(dir, "none.json")}\n`,
    );
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("padded_vocab_size");
    expect(lines[0]).toContain("none.json");
  });

  it("model logits is not built yet: exit 2 with the usage", () => {
    const r = runNeox(["model", "logits", "configs/tiny.yml"]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toMatch(/not built yet/);
    expect(r.stderr).toContain("usage: neox model info");
  });
});
