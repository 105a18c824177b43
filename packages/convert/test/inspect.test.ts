// inspect on the four kinds of path it accepts, each built on disk here: a save directory (through
// `latest`, with optimizer state), one global_stepN directory, a sharded Hugging Face directory
// and a lone .safetensors file; the table lists every tensor, and bad paths are refused by name.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SafetensorsInput, type StreamedTensor, writeSafetensors } from "@neox/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { formatInspect, inspect } from "../src/inspect";
import { INDEX_FILE, shardFileName, writeSafetensorsDir } from "../src/safetensors-dir";

const root = mkdtempSync(join(tmpdir(), "inspect-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SHAPES: Record<string, number[]> = {
  "word_embeddings.weight": [16, 8],
  "layers.0.attention.query_key_value.weight": [24, 8],
  "layers.0.attention.query_key_value.bias": [24],
  "norm.weight": [8],
};
const numel = (s: number[]) => s.reduce((a, d) => a * d, 1);
const f32 = (shape: number[]): SafetensorsInput => ({
  dtype: "f32",
  shape,
  data: Float32Array.from({ length: numel(shape) }, (_, i) => i / 7),
});

/** A save directory as the trainer lays it out: latest -> global_step3, and an older global_step1. */
function saveDir(): string {
  const save = join(root, "save");
  for (const step of [1, 3]) {
    const dir = join(save, `global_step${step}`);
    mkdirSync(join(dir, "optim"), { recursive: true });
    const model = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, f32(s)]));
    writeSafetensors(join(dir, "model.safetensors"), model, {
      format: "neox-ts-checkpoint",
      iteration: `${step}`,
    });
    const optim = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [`exp_avg.${n}`, f32(s)]));
    writeSafetensors(join(dir, "optim", "state.safetensors"), optim);
    writeFileSync(join(dir, "trainer_state.json"), JSON.stringify({ iteration: step }));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ hidden_size: 8, num_layers: 1, step }));
    writeFileSync(join(dir, "index.json"), "{}");
  }
  writeFileSync(join(save, "latest"), "global_step3\n");
  return save;
}
const save = saveDir();

describe("inspect", () => {
  it("a save directory through latest: weights, optimizer state, totals, config, iteration", () => {
    const r = inspect(save);
    expect(r.kind).toBe("checkpoint");
    expect(r.dir).toBe(join(save, "global_step3"));
    expect(r.via).toBe(`${join(save, "latest")} -> global_step3`);
    expect(r.iteration).toBe(3);
    expect(r.config).toEqual({ hidden_size: 8, num_layers: 1, step: 3 });
    expect(r.configFile).toBe(join(save, "global_step3", "config.json"));
    const expected = Object.entries(SHAPES).map(([name, shape]) => ({
      name,
      dtype: "F32",
      shape,
      numel: numel(shape),
      bytes: 4 * numel(shape),
      file: "model.safetensors",
    }));
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    expect([...r.tensors].sort(byName)).toEqual(expected.sort(byName));
    expect(r.optimizer.map((t) => t.name).sort()).toEqual(
      Object.keys(SHAPES)
        .map((n) => `exp_avg.${n}`)
        .sort(),
    );
    expect(r.optimizer.every((t) => t.file === join("optim", "state.safetensors"))).toBe(true);
    const params = Object.values(SHAPES).reduce((a, s) => a + numel(s), 0);
    expect(r.totals).toEqual({
      tensors: 4,
      parameters: params,
      bytes: 4 * params,
      byDtype: { F32: { tensors: 4, bytes: 4 * params } },
    });
    expect(r.files.map((f) => f.file)).toEqual(["model.safetensors", join("optim", "state.safetensors")]);
    expect(r.files[0]!.metadata).toEqual({ format: "neox-ts-checkpoint", iteration: "3" });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("one global_stepN directory as itself", () => {
    const dir = join(save, "global_step1");
    const r = inspect(dir);
    expect(r.kind).toBe("checkpoint");
    expect(r.via).toBe(dir);
    expect(r.iteration).toBe(1);
    expect(r.config!.step).toBe(1);
  });

  it("a sharded Hugging Face directory: each tensor's shard, the HF config", () => {
    const dir = join(root, "hf");
    const tensors: StreamedTensor[] = [
      { name: "gpt_neox.embed_in.weight", dtype: "bf16", shape: [16, 8], data: () => new Uint16Array(128) },
      {
        name: "gpt_neox.layers.0.mlp.dense_h_to_4h.weight",
        dtype: "f32",
        shape: [32, 8],
        data: () => new Float32Array(256),
      },
      { name: "embed_out.weight", dtype: "bf16", shape: [16, 8], data: () => new Uint16Array(128) },
    ];
    // 256 + 1024 + 256 bytes at 1000 a shard: the 1024-byte tensor alone first, the other two together.
    const written = writeSafetensorsDir(dir, tensors, { shardSize: 1000 });
    expect(written.files).toHaveLength(2);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ architectures: ["GPTNeoXForCausalLM"] }));
    const r = inspect(dir);
    expect(r.kind).toBe("hf");
    expect(r.config).toEqual({ architectures: ["GPTNeoXForCausalLM"] });
    const fileOf = Object.fromEntries(r.tensors.map((t) => [t.name, t.file]));
    const index = written.index!.weight_map;
    expect(fileOf).toEqual(index);
    expect(fileOf["gpt_neox.layers.0.mlp.dense_h_to_4h.weight"]).toBe(shardFileName(0, 2));
    expect(r.totals.bytes).toBe(written.totalSize);
    expect(r.totals.byDtype).toEqual({ BF16: { tensors: 2, bytes: 512 }, F32: { tensors: 1, bytes: 1024 } });
    expect(r.files.map((f) => f.metadata.format)).toEqual(["pt", "pt"]);

    const text = formatInspect(r);
    const lines = text.split("\n");
    for (const t of tensors) {
      const row = lines.find((l) => l.startsWith(`${t.name} `));
      expect(row, t.name).toBeDefined();
      expect(row).toContain(`[${t.shape.join(", ")}]`);
      expect(row).toContain(fileOf[t.name]!);
    }
    // Columns line up: every tensor row has its dtype where the header has "dtype".
    const head = lines.find((l) => l.startsWith("tensor "))!;
    const col = head.indexOf("dtype");
    for (const t of tensors)
      expect(lines.find((l) => l.startsWith(`${t.name} `))!.slice(col, col + 4)).toMatch(/^(BF16|F32 )/);
    expect(text).toContain(`total: 3 tensors, ${(128 + 256 + 128).toLocaleString("en-US")} parameters`);
    expect(text).toContain('architectures: ["GPTNeoXForCausalLM"]');
  });

  it("one .safetensors file, and its config when one sits beside it", () => {
    const r = inspect(join(save, "global_step3", "optim", "state.safetensors"));
    expect(r.kind).toBe("file");
    expect(r.tensors).toHaveLength(4);
    expect(r.config).toBeNull();
    expect(formatInspect(r)).toContain("config: none");
    expect(formatInspect(r)).not.toContain("  file");
    const m = inspect(join(save, "global_step3", "model.safetensors"));
    expect(m.config!.step).toBe(3);
  });

  it("refuses paths that are none of the four, naming them", () => {
    const missing = join(root, "nope");
    expect(() => inspect(missing)).toThrow(`${missing}: no such file or directory`);
    const nolatest = join(root, "nolatest");
    mkdirSync(join(nolatest, "global_step5"), { recursive: true });
    expect(() => inspect(nolatest)).toThrow(`${nolatest}: no "latest" file; inspect one of global_step5`);
    const bad = join(root, "hf-bad");
    writeSafetensorsDir(
      bad,
      [
        { name: "a", dtype: "u8", shape: [8], data: () => new Uint8Array(8) },
        { name: "b", dtype: "u8", shape: [8], data: () => new Uint8Array(8) },
      ],
      { shardSize: 8 },
    );
    writeFileSync(join(bad, INDEX_FILE), JSON.stringify({ weight_map: { a: shardFileName(0, 2) } }));
    expect(() => inspect(bad)).toThrow(`tensor "b" is not listed in ${join(bad, INDEX_FILE)}`);
  });
});
