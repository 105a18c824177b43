// The GPT-NeoX model against the engine's PyTorch golden (tools/fixtures/engine/golden.py): a
// parallel-residual decoder with rotary on a quarter of each head, exact GELU and an untied head,
// its first step's loss and every gradient computed in float64 from float32 weights. The fixture
// names parameters as the tensor engine's stack did; `modelName` maps them onto the model's own
// (tools/fixtures/models/golden.py's cross-check runs the same renaming against GPT-NeoX's
// forward). Checked eagerly and as a planned step, then one AdamW step lands on PyTorch's next
// loss, and the model learns the fixed batch.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfigText, resolveParsed, withVocabSize } from "@neox/config";
import { AdamW, backward, noGrad, Plan, scope, Tensor } from "@neox/tensor";
import { describe, expect, it } from "vitest";
import { GptNeoXModel } from "../src/index";

interface Golden {
  config: {
    layers: number;
    d: number;
    heads: number;
    seq: number;
    batch: number;
    vocab: number;
    rotary_pct: number;
    eps: number;
    lr: number;
    beta1: number;
    beta2: number;
    adam_eps: number;
    weight_decay: number;
  };
  tokens: number[];
  targets: number[];
  loss: number;
  loss_after_step: number;
  params: { name: string; shape: number[] }[];
}

// golden.py writes its fixture beside the tensor engine's tests, where
// tools/fixtures/models/golden.py's cross-check also reads it.
const FIXTURES = join(import.meta.dirname, "..", "..", "tensor", "test", "fixtures");
const golden = JSON.parse(readFileSync(join(FIXTURES, "engine-golden.json"), "utf8")) as Golden;
const blob = readFileSync(join(FIXTURES, "engine-golden.bin"));
const floats = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
const total = golden.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
if (floats.length !== 2 * total) {
  throw new Error(
    `engine-golden.bin holds ${floats.length} floats, expected ${2 * total} (weights + gradients)`,
  );
}

/** The stack's parameter name -> the model's (GPT-NeoX's names inside its layer specs). */
function modelName(name: string): string {
  const fixed: Record<string, string> = {
    "embed.weight": "word_embeddings.weight",
    "final_layernorm.weight": "norm.weight",
    "final_layernorm.bias": "norm.bias",
    "output.weight": "final_linear.weight",
  };
  if (fixed[name]) return fixed[name];
  if (!name.startsWith("layers.")) throw new Error(`engine-golden.json: unknown parameter ${name}`);
  return name.replace(".mlp.dense_h_to_4h.", ".mlp.linear1.").replace(".mlp.dense_4h_to_h.", ".mlp.linear2.");
}

// Weights and gradients by the model's names.
function slices(base: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let at = base;
  for (const p of golden.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    out.set(modelName(p.name), floats.subarray(at, at + n));
    at += n;
  }
  return out;
}
const weights = slices(0);
const grads = slices(total);

const g = golden.config;
// The golden's decoder as a GPT-NeoX config: parallel residual, untied head, exact GELU.
const YAML = `
num_layers: ${g.layers}
hidden_size: ${g.d}
num_attention_heads: ${g.heads}
seq_length: ${g.seq}
max_position_embeddings: ${g.seq}
pos_emb: rotary
rotary_pct: ${g.rotary_pct}
gpt_j_residual: true
no_weight_tying: true
norm: layernorm
layernorm_epsilon: ${g.eps}
bias_gelu_fusion: false
hidden_dropout: 0.0
attention_dropout: 0.0
make_vocab_size_divisible_by: ${g.vocab}
train_micro_batch_size_per_gpu: ${g.batch}
`;

interface Built {
  model: GptNeoXModel;
  opt: AdamW;
  x: Tensor;
  y: Tensor;
  dispose(): void;
}

function build(): Built {
  const r = withVocabSize(resolveParsed([parseConfigText(YAML, "engine-golden.yml")], {}), g.vocab);
  expect(r.problems).toEqual([]);
  const model = GptNeoXModel.fromConfig(r);
  const names = [...model.registry.entries()].map((e) => e.name);
  expect(new Set(names)).toEqual(new Set(weights.keys()));
  for (const [name, w] of weights) model.registry.flat.get(name).write(w);
  const opt = new AdamW(model.registry.flat, {
    lr: g.lr,
    beta1: g.beta1,
    beta2: g.beta2,
    eps: g.adam_eps,
    weightDecay: g.weight_decay,
  });
  const x = Tensor.fromArray(golden.tokens, [g.batch, g.seq], { dtype: "i32" });
  const y = Tensor.fromArray(golden.targets, [g.batch, g.seq], { dtype: "i32" });
  return {
    model,
    opt,
    x,
    y,
    dispose() {
      opt.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

/** max |a - b| / max |b| over one tensor. */
function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

function expectGradsMatch(model: GptNeoXModel): void {
  const all = model.registry.flat.grads.toFloat32Array();
  for (const e of model.registry.entries()) {
    const got = all.subarray(e.offset, e.offset + e.numel);
    expect({ name: e.name, ok: relErr(got, grads.get(e.name)!) < 1e-4 }).toEqual({ name: e.name, ok: true });
  }
}

const trainStep = ({ model, opt, x, y }: Built) =>
  scope(() => {
    model.registry.flat.zeroGrad();
    const loss = model.loss(x, y);
    backward(loss);
    opt.prepareGrads();
    opt.update();
    return loss;
  });

describe("GPT-NeoX model vs the engine's PyTorch golden (tools/fixtures/engine/golden.py)", () => {
  it("maps every fixture name onto one model parameter", () => {
    expect(modelName("layers.1.mlp.dense_4h_to_h.bias")).toBe("layers.1.mlp.linear2.bias");
    expect(() => modelName("lm_head.weight")).toThrow(/unknown parameter lm_head.weight/);
    expect(weights.size).toBe(golden.params.length);
  });

  it("first step: loss and every gradient within 1e-4, then AdamW lands on the next loss", () => {
    const b = build();
    try {
      scope(() => {
        b.model.registry.flat.zeroGrad();
        const loss = b.model.loss(b.x, b.y);
        expect(Math.abs(loss.item() - golden.loss) / golden.loss).toBeLessThan(1e-4);
        backward(loss);
      });
      expectGradsMatch(b.model);
      b.opt.step();
      const next = noGrad(() => scope(() => b.model.loss(b.x, b.y).item()));
      // Adam's first step moves each weight by about lr·sign(g): float32 vs float64 gradients can
      // only flip tiny components, so the next loss agrees to 1e-3 rather than 1e-4.
      expect(Math.abs(next - golden.loss_after_step) / golden.loss_after_step).toBeLessThan(1e-3);
      expect(next).toBeLessThan(golden.loss);
    } finally {
      b.dispose();
    }
  });

  it("a planned step computes the same loss and gradients, and its replay continues training", () => {
    const b = build();
    try {
      b.model.prepare(g.batch, g.seq);
      b.opt.scalars.set({ step: 1 });
      const { plan, result } = Plan.record(() => trainStep(b));
      expect(Math.abs(result.item() - golden.loss) / golden.loss).toBeLessThan(1e-4);
      expectGradsMatch(b.model);
      const loss = plan.tensor(result);
      result.dispose();
      b.opt.scalars.set({ step: 2 });
      plan.run();
      expect(Math.abs(loss.item() - golden.loss_after_step) / golden.loss_after_step).toBeLessThan(1e-3);
      loss.dispose();
      plan.dispose();
    } finally {
      b.dispose();
    }
  });

  it("learns: the loss on the fixed batch falls below a quarter of its start within 50 planned steps", () => {
    const b = build();
    try {
      b.model.prepare(g.batch, g.seq);
      b.opt.scalars.set({ step: 1 });
      const { plan, result } = Plan.record(() => trainStep(b));
      const first = result.item();
      const loss = plan.tensor(result);
      result.dispose();
      for (let t = 2; t <= 50; t++) {
        b.opt.scalars.set({ step: t });
        plan.run();
      }
      expect(loss.item()).toBeLessThan(first * 0.25);
      loss.dispose();
      plan.dispose();
    } finally {
      b.dispose();
    }
  });
});
