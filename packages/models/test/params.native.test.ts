// The parameter registry: GPT-NeoX's names and shapes (neox-spec §4.2, the keys inside
// sequential.<idx>/layer_<idx> with the layer index as `layers.{i}`), decay groups, and the
// flat layout AdamW reads.
import { afterEach, describe, expect, it } from "vitest";
import { fromSequentialName, GptNeoXModel, toSequentialName } from "../src/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig } from "./helpers";

let model: GptNeoXModel | null = null;
afterEach(() => {
  model?.dispose();
  model = null;
});

const table = (m: GptNeoXModel) => [...m.registry.entries()].map((e) => `${e.name} [${e.shape.join(", ")}]`);

// C 16, NH 4, HS 4, V_pad 56 (50 rounded up to a multiple of 8), MLP 4·C = 64, L 2.
const layer = (i: number, names: string[]) => names.map((n) => `layers.${i}.${n}`);

describe("GPT-NeoX parameter names", () => {
  it("Pythia-shaped: LayerNorm with biases, interleaved QKV, linear1/linear2, untied final_linear", () => {
    model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const perLayer = (i: number) =>
      layer(i, [
        "input_layernorm.weight [16]",
        "input_layernorm.bias [16]",
        "attention.query_key_value.weight [48, 16]",
        "attention.query_key_value.bias [48]",
        "attention.dense.weight [16, 16]",
        "attention.dense.bias [16]",
        "post_attention_layernorm.weight [16]",
        "post_attention_layernorm.bias [16]",
        "mlp.linear1.weight [64, 16]",
        "mlp.linear1.bias [64]",
        "mlp.linear2.weight [16, 64]",
        "mlp.linear2.bias [16]",
      ]);
    expect(table(model)).toEqual([
      "word_embeddings.weight [56, 16]",
      ...perLayer(0),
      ...perLayer(1),
      "norm.weight [16]",
      "norm.bias [16]",
      "final_linear.weight [56, 16]",
    ]);
    // neox-spec Appendix A: V·h·2 + L·(4h² + 4h + 2·h·f + f + h + 4h) + 2h with f = 4h.
    const [V, h, L, f] = [56, 16, 2, 64];
    expect(model.registry.numel).toBe(
      V * h * 2 + L * (4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h) + 2 * h,
    );
  });

  it("GPT-3 shaped: learned positions, tied output (no final_linear)", () => {
    model = GptNeoXModel.fromConfig(tinyConfig(TINY_GPT3));
    const names = table(model);
    expect(names.slice(0, 2)).toEqual([
      "word_embeddings.weight [56, 16]",
      "position_embeddings.weight [16, 16]",
    ]);
    expect(names.at(-1)).toBe("norm.bias [16]");
    expect(names.some((n) => n.startsWith("final_linear"))).toBe(false);
  });

  it("Llama-shaped: RMSNorm scale, no biases, blocked GQA QKV, gated linear1 = 2·linear2", () => {
    model = GptNeoXModel.fromConfig(tinyConfig(TINY_LLAMA));
    // intermediate_size 64 gated: int(64·2/3) = 42 -> linear1 2·8·ceil(42/16) = 48, linear2 8·ceil(21/8) = 24.
    const perLayer = (i: number) =>
      layer(i, [
        "input_layernorm.scale [16]",
        "attention.query_key_value.weight [32, 16]", // (4 + 2·2)·4
        "attention.dense.weight [16, 16]",
        "post_attention_layernorm.scale [16]",
        "mlp.linear1.weight [48, 16]",
        "mlp.linear2.weight [16, 24]",
      ]);
    expect(table(model)).toEqual([
      "word_embeddings.weight [56, 16]",
      ...perLayer(0),
      ...perLayer(1),
      "norm.scale [16]",
      "final_linear.weight [56, 16]",
    ]);
  });

  it("gpt_j_tied keeps post_attention_layernorm as GPT-NeoX's checkpoints do", () => {
    model = GptNeoXModel.fromConfig(tinyConfig(`${TINY_NEOX}gpt_j_tied: true\n`));
    expect(table(model)).toContain("layers.1.post_attention_layernorm.weight [16]");
  });
});

describe("registry", () => {
  it("puts weights in the decay group and norms and biases outside it, each group one flat range", () => {
    model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX));
    const flat = model.registry.flat;
    let decayed = 0;
    for (const e of model.registry.entries()) {
      expect(e.decay).toBe(e.shape.length === 2); // every 2-D tensor is a weight or an embedding
      expect(e.dtype).toBe("f32");
      const group = e.decay ? flat.decayRange : flat.noDecayRange;
      expect(e.offset).toBeGreaterThanOrEqual(group.offset);
      expect(e.offset + e.numel).toBeLessThanOrEqual(group.offset + group.numel);
      // The layer's tensor is the registry's view at that offset.
      expect(e.param.t.offset).toBe(flat.data.offset + e.offset);
      if (e.decay) decayed += e.numel;
    }
    expect(flat.decayRange.numel).toBe(decayed);
    expect(flat.decayRange.numel + flat.noDecayRange.numel).toBe(model.registry.numel);
  });
});

describe("GPT-NeoX checkpoint keys", () => {
  it("shifts layer i to sequential.{i+2}, the final norm to L+3 and final_linear to L+4", () => {
    model = GptNeoXModel.fromConfig(tinyConfig(TINY_GPT3)); // L = 2, learned positions
    const L = model.spec.L;
    expect(toSequentialName("word_embeddings.weight", L)).toBe("sequential.0.word_embeddings.weight");
    expect(toSequentialName("position_embeddings.weight", L)).toBe("sequential.0.position_embeddings.weight");
    expect(toSequentialName("layers.1.mlp.linear1.bias", L)).toBe("sequential.3.mlp.linear1.bias");
    expect(toSequentialName("norm.weight", L)).toBe("sequential.5.norm.weight");
    expect(toSequentialName("final_linear.weight", L)).toBe("sequential.6.final_linear.weight");
    for (const e of model.registry.entries())
      expect(fromSequentialName(toSequentialName(e.name, L), L)).toBe(e.name);
    expect(() => fromSequentialName("sequential.1.foo", L)).toThrow(/holds no parameters/);
    expect(() => toSequentialName("embed_out.weight", L)).toThrow(/embed_out/);
  });
});
