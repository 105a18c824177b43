// Configs the models cannot build fail when the model is built, naming the key, its value and the
// file:line it came from; configs they can build give the spec GPT-NeoX's derivations imply.
import { describe, expect, it } from "vitest";
import { GptNeoXModel, ModelConfigError, modelSpec } from "../src/index";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig } from "./helpers";

const refusal = (yaml: string): ModelConfigError => {
  const r = tinyConfig(yaml, { allowProblems: true });
  try {
    GptNeoXModel.fromConfig(r);
  } catch (e) {
    if (e instanceof ModelConfigError) return e;
    throw e;
  }
  throw new Error("the model was built");
};

describe("configs the models refuse", () => {
  it.each([
    ["moe_num_experts: 4\n", "moe_num_experts", "mixture-of-experts"],
    ['attention_config: [[["mamba"], 2]]\n', "attention_config", '"mamba"'],
    ['attention_config: [[["global", "local"], 1]]\n', "attention_config", '"local"'],
    ["pos_emb: sinusoidal\n", "pos_emb", "sinusoidal"],
    ["pos_emb: rpe\n", "pos_emb", "rpe"],
    ["norm: scalenorm\n", "norm", "scalenorm"],
    ["norm: rmsnorm\n", "use_bias_in_norms", "offset"],
    ["activation: relu\n", "activation", "relu"],
    ["use_qk_layernorm: true\n", "use_qk_layernorm", "QK-norm"],
    ["attention_dropout: 0.1\n", "attention_dropout", "no kernel"],
    ["init_method: orthogonal\n", "init_method", "orthogonal"],
    ["num_kv_heads: 3\n", "num_kv_heads", "divide"],
    ["pos_emb: rotary\nrotary_pct: 0.25\n", "rotary_pct", "even"], // head size 4 -> 1 channel
    ["activation: swiglu\nintermediate_size: 50\n", "intermediate_size", "swiglu"], // int(50·2/3) = 33: linear1 34, linear2 16
  ])("%s", (yaml, key, what) => {
    const e = refusal(yaml);
    expect(e.key).toBe(key);
    expect(e.message).toContain(`${key} = `);
    expect(e.message).toContain(what);
    // where the value was set, or that it is the default
    expect(e.message).toContain(yaml.includes(`${key}:`) ? "tiny-variant.yml:" : "(GPT-NeoX's default)");
  });

  it("asks for the vocabulary when padded_vocab_size is unknown", () => {
    const r = tinyConfig(TINY_NEOX);
    const noVocab = { ...r, derived: { ...r.derived, padded_vocab_size: null } };
    expect(() => modelSpec(noVocab)).toThrow(/padded_vocab_size .*withVocabSize/);
  });
});

describe("model specs from configs", () => {
  it("reads GPT-NeoX's keys into the variant choices", () => {
    const neox = modelSpec(tinyConfig(TINY_NEOX));
    expect(neox).toMatchObject({
      residual: "parallel",
      positions: "rotary",
      rotDim: 2, // int(4 · 0.5)
      activation: "gelu",
      tiedOutput: false,
      norm: { kind: "layernorm", eps: 1e-5, bias: true },
      V: 56,
    });
    const gpt3 = modelSpec(tinyConfig(TINY_GPT3));
    expect(gpt3).toMatchObject({
      residual: "sequential",
      positions: "learned",
      activation: "gelu_tanh",
      tiedOutput: true,
    });
    const llama = modelSpec(tinyConfig(`${TINY_LLAMA}sliding_window_width: 5\n`));
    expect(llama).toMatchObject({
      norm: { kind: "rmsnorm", eps: 1e-5 },
      activation: "swiglu",
      NKV: 2,
      rotDim: 4,
      window: 5,
      attnBias: false,
      mlpBias: false,
    });
    expect(modelSpec(tinyConfig(`${TINY_NEOX}gpt_j_tied: true\n`)).residual).toBe("parallel_tied");
  });
});
