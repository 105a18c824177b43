// Configs the models cannot build fail when the model is built, naming the key, its value and the
// file:line it came from; configs they can build give the spec GPT-NeoX's derivations imply.
import { backward, noGrad, scope, Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel, ModelConfigError, modelSpec, RMSNorm } from "../src/index";
import { ParamCollector, ParamRegistry } from "../src/params";
import { TINY_GPT3, TINY_LLAMA, TINY_NEOX, tinyConfig, tokens } from "./helpers";

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
    ["pos_emb: rpe\n", "pos_emb", "rpe"],
    ["norm: scalenorm\n", "norm", "scalenorm"],
    ["activation: mish\n", "activation", "mish"],
    ["use_qk_layernorm: true\n", "use_qk_layernorm", "QK-norm"],
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
  it("reads attention_dropout (built by the fused attention kernel, no longer refused)", () => {
    expect(modelSpec(tinyConfig(TINY_NEOX)).attentionDropout).toBe(0);
    expect(modelSpec(tinyConfig(`${TINY_NEOX}attention_dropout: 0.1\n`)).attentionDropout).toBe(0.1);
  });

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
      norm: { kind: "rmsnorm", eps: 1e-5, bias: false },
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

// The activations GPT-NeoX lists beside GELU and SwiGLU/GeGLU: each builds, trains to a finite loss
// and differs from GELU, and the model's gradient of linear1 (whose output the activation reads)
// matches a finite difference along the gradient's own direction (see gradient.native.test.ts for
// why a directional check: ε = 1e-2 over an fp32 loss).
describe("ReLU, SiLU (swish) and ReGLU MLPs", () => {
  const BIG_INIT = "init_method: normal\noutput_layer_init_method: normal\ninit_method_std: 0.3\n";
  const lossOf = (yaml: string): number => {
    const model = GptNeoXModel.fromConfig(tinyConfig(yaml + BIG_INIT));
    const [x, y] = [tokens(2, 8, 50), tokens(2, 8, 50, 1)];
    try {
      return noGrad(() => scope(() => model.loss(x, y).item()));
    } finally {
      for (const t of [x, y, model]) t.dispose();
    }
  };

  it.each([
    ["activation: relu\n", "relu"],
    ["activation: silu\n", "silu"],
    ["activation: swish\n", "silu"],
    ["activation: reglu\nintermediate_size: 96\n", "reglu"],
  ])("%s", (yaml, activation) => {
    expect(modelSpec(tinyConfig(TINY_NEOX + yaml)).activation).toBe(activation);
    const loss = lossOf(TINY_NEOX + yaml);
    expect(Number.isFinite(loss)).toBe(true);
    const gated =
      activation === "reglu" ? "activation: geglu\nintermediate_size: 96\n" : "activation: gelu\n";
    expect(Math.abs(loss - lossOf(TINY_NEOX + gated))).toBeGreaterThan(1e-4);
  });

  it.each([
    ["activation: relu\n", ["layers.0.mlp.linear1.weight", "layers.1.mlp.linear1.bias"]],
    ["activation: silu\n", ["layers.0.mlp.linear1.weight", "layers.1.mlp.linear1.bias"]],
    [
      "activation: reglu\nintermediate_size: 96\n",
      ["layers.0.mlp.linear1.weight", "layers.1.mlp.linear1.bias"],
    ],
    // GPT-NeoX's RMSNorm with use_bias_in_norms owns an `offset` after the scale
    ["norm: rmsnorm\nuse_bias_in_norms: true\n", ["layers.0.input_layernorm.offset", "norm.offset"]],
  ])("finite-difference gradient through the model: %s", (yaml, names) => {
    const model = GptNeoXModel.fromConfig(tinyConfig(TINY_NEOX + yaml + BIG_INIT));
    const [x, y] = [tokens(2, 8, 50), tokens(2, 8, 50, 1)];
    const flat = model.registry.flat;
    try {
      scope(() => {
        flat.zeroGrad();
        backward(model.loss(x, y));
      });
      const theta = flat.data.toFloat32Array();
      for (const name of names) {
        const { offset, numel } = flat.ranges.get(name)!;
        const g = flat.grads.toFloat32Array().subarray(offset, offset + numel);
        const norm = Math.hypot(...g);
        expect(norm, `${name}: gradient is zero`).toBeGreaterThan(1e-3);
        const at = (sign: number): number => {
          const t = theta.slice();
          for (let i = 0; i < numel; i++) t[offset + i]! += (sign * 1e-2 * g[i]!) / norm;
          flat.data.write(t);
          return noGrad(() => scope(() => model.loss(x, y).item()));
        };
        const fd = (at(1) - at(-1)) / 2e-2;
        expect(Math.abs(fd - norm), `${name}: fd ${fd} vs |g| ${norm}`).toBeLessThan(0.01 * norm + 1e-4);
      }
    } finally {
      for (const t of [x, y, model]) t.dispose();
    }
  });
});

// GPT-NeoX's RMSNorm(bias=True): y = x·rsqrt(mean(x²) + eps)·scale + offset, checked in float64,
// with the offset's gradient Σ_rows dy and the scale's Σ_rows dy·x·rstd.
describe("RMSNorm with offset", () => {
  it("adds `offset` after the scale, and its gradient is the row sum of dy", () => {
    const [N, C, eps] = [5, 12, 1e-5];
    const pc = new ParamCollector().child("input_layernorm");
    const norm = new RMSNorm(pc, C, eps, true);
    expect(pc.params.map((p) => p.name)).toEqual(["input_layernorm.scale", "input_layernorm.offset"]);
    const reg = new ParamRegistry(pc.params);
    const wave = (n: number, a: number, b: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(a * i + b));
    const scale = wave(C, 0.7, 0.3).map((v) => 1 + 0.5 * v);
    const off = wave(C, 1.3, 0.1);
    reg.flat.data.write(Float32Array.from([...scale, ...off]));
    const xv = wave(N * C, 0.37, 1.1).map((v, i) => 2 * v + (i % 3));
    const dyv = wave(N * C, 0.91, 0.5);
    const x = Tensor.fromArray(xv, [N, C]);
    const dy = Tensor.fromArray(dyv, [N, C]);
    try {
      const got = scope(() => {
        reg.flat.zeroGrad();
        const out = norm.forward(x);
        const yv = out.toFloat32Array();
        backward(out, dy);
        return yv;
      });
      const grads = reg.flat.grads.toFloat32Array();
      const dScale = new Float64Array(C);
      const dOff = new Float64Array(C);
      for (let n = 0; n < N; n++) {
        let ms = 0;
        for (let c = 0; c < C; c++) ms += xv[n * C + c]! ** 2 / C;
        const rstd = 1 / Math.sqrt(ms + eps);
        for (let c = 0; c < C; c++) {
          const i = n * C + c;
          expect(got[i]!).toBeCloseTo(xv[i]! * rstd * scale[c]! + off[c]!, 5);
          dScale[c]! += dyv[i]! * xv[i]! * rstd;
          dOff[c]! += dyv[i]!;
        }
      }
      for (let c = 0; c < C; c++) {
        expect(grads[c]!).toBeCloseTo(dScale[c]!, 4);
        expect(grads[C + c]!).toBeCloseTo(dOff[c]!, 4);
      }
    } finally {
      for (const t of [x, dy]) t.dispose();
      reg.dispose();
    }
  });
});
