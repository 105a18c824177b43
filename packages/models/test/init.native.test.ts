// Initialisation: GPT-NeoX's formulas (init.ts), reproducible from the seed, independent of the
// order in which parameters are declared.
import { describe, expect, it } from "vitest";
import { GptNeoXModel, initStd, initValues } from "../src/index";
import { TINY_NEOX, tinyConfig } from "./helpers";

const std = (a: Float32Array): number => {
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  return Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
};

describe("init", () => {
  it("computes GPT-NeoX's standard deviations", () => {
    // σ = 0.02, L = 4, d = 256: values written out from init_functions.py's formulas.
    expect(initStd("normal", 0.02, 4, 256)).toBe(0.02);
    expect(initStd("scaled_normal", 0.02, 4, 256)).toBeCloseTo(0.02 / Math.sqrt(8), 12);
    expect(initStd("single_residual_scaled_normal", 0.02, 4, 256)).toBeCloseTo(0.01, 12);
    expect(initStd("small_init", 0.02, 4, 256)).toBeCloseTo(Math.sqrt(2 / 1280), 12);
    expect(initStd("wang_init", 0.02, 4, 256)).toBeCloseTo(2 / (4 * 16), 12);
  });

  it("draws normals with the requested spread, different per name and seed", () => {
    const a = new Float32Array(20001);
    initValues(a, { kind: "normal", std: 0.5 }, "x", 1);
    expect(std(a)).toBeGreaterThan(0.49);
    expect(std(a)).toBeLessThan(0.51);
    const b = new Float32Array(20001);
    initValues(b, { kind: "normal", std: 0.5 }, "x", 2);
    const c = new Float32Array(20001);
    initValues(c, { kind: "normal", std: 0.5 }, "y", 1);
    expect(b).not.toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("sizes Glorot's draws by each weight's own fans (torch: fan_out = rows, fan_in = columns)", () => {
    // A [300, 100] weight: xavier_normal σ = sqrt(2/400), xavier_uniform bound sqrt(6/400) and
    // σ = bound/sqrt(3). 30,000 draws: the spread is within 2%.
    const a = new Float32Array(300 * 100);
    initValues(a, { kind: "xavier_normal" }, "w", 3, [300, 100]);
    expect(std(a) / Math.sqrt(2 / 400)).toBeGreaterThan(0.98);
    expect(std(a) / Math.sqrt(2 / 400)).toBeLessThan(1.02);
    const u = new Float32Array(300 * 100);
    initValues(u, { kind: "xavier_uniform" }, "w", 3, [300, 100]);
    const bound = Math.sqrt(6 / 400);
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...u.map(Math.abs))).toBeGreaterThan(bound * 0.99);
    expect(std(u) / (bound / Math.sqrt(3))).toBeGreaterThan(0.98);
    expect(std(u) / (bound / Math.sqrt(3))).toBeLessThan(1.02);
    expect(() => initValues(new Float32Array(4), { kind: "xavier_normal" }, "b", 1, [4])).toThrow(
      /b is \[4\]/,
    );
  });

  it("builds a model with xavier init methods from the config", () => {
    const model = GptNeoXModel.fromConfig(
      tinyConfig(
        `${TINY_NEOX.replace(/^(output_layer_)?init_method: \w+$/gm, "")}hidden_size: 64\ninit_method: xavier_normal\noutput_layer_init_method: xavier_uniform\n`,
      ),
    );
    try {
      const w = model.registry.toHost();
      const qkv = w.get("layers.0.attention.query_key_value.weight")!; // [192, 64]
      expect(std(qkv) / Math.sqrt(2 / (192 + 64))).toBeGreaterThan(0.95);
      expect(std(qkv) / Math.sqrt(2 / (192 + 64))).toBeLessThan(1.05);
      const dense = w.get("layers.0.attention.dense.weight")!; // [64, 64]
      expect(Math.max(...dense.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 128));
    } finally {
      model.dispose();
    }
  });

  it("gives the model's layers small_init, wang_init, ones and zeros as GPT-NeoX does", () => {
    // hidden 64, 2 layers: small_init sqrt(2/320) = 0.079, wang_init 2/(2·8) = 0.125; 1 and 0 for
    // norm weights and biases. Tolerance 5%: the smallest tensor has 4,096 draws (std error ~1%).
    const model = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}hidden_size: 64\n`));
    try {
      const w = model.registry.toHost();
      const near = (name: string, expected: number) => {
        const s = std(w.get(name)!);
        expect(s, name).toBeGreaterThan(expected * 0.95);
        expect(s, name).toBeLessThan(expected * 1.05);
      };
      const small = Math.sqrt(2 / (5 * 64));
      const wang = 2 / (2 * Math.sqrt(64));
      near("word_embeddings.weight", small);
      near("layers.0.attention.query_key_value.weight", small);
      near("layers.1.mlp.linear1.weight", small);
      near("final_linear.weight", small);
      near("layers.0.attention.dense.weight", wang);
      near("layers.1.mlp.linear2.weight", wang);
      expect(w.get("layers.0.input_layernorm.weight")!.every((x) => x === 1)).toBe(true);
      expect(w.get("layers.0.attention.dense.bias")!.every((x) => x === 0)).toBe(true);
      expect(w.get("norm.bias")!.every((x) => x === 0)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it("gives identical weights for the same seed and different ones for another", () => {
    const r = tinyConfig(TINY_NEOX);
    const [a, b, c] = [1234, 1234, 99].map((seed) => {
      const m = GptNeoXModel.fromConfig(r, { seed });
      const data = m.registry.flat.data.toFloat32Array();
      m.dispose();
      return data;
    });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("gives a parameter the same values whatever else the model holds", () => {
    // A parameter's stream depends on (seed, name) only: a third layer changes the flat layout,
    // not the values of the names both models share.
    const small = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const big = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}num_layers: 3\n`));
    try {
      const a = small.registry.toHost().get("layers.1.attention.query_key_value.weight")!;
      const b = big.registry.toHost().get("layers.1.attention.query_key_value.weight")!;
      // QKV uses small_init, which depends on hidden_size only, not on num_layers.
      expect(b).toEqual(a);
    } finally {
      small.dispose();
      big.dispose();
    }
  });
});
