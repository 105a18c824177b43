// Finite-difference gradient checks through the tape, one case per differentiable op (and the
// views, the checkpoint op and a small composite). To add an op: add a line to CASES with a
// function of leaf inputs and the inputs' shapes; the helper perturbs every input that requires
// grad and compares the tape's gradient with central differences.
import { describe, expect, it } from "vitest";
import {
  activeTape,
  add,
  alibiSlopes,
  backward,
  biasAdd,
  cast,
  causalSelfAttention,
  checkpoint,
  crossEntropy,
  crossEntropyTrain,
  dropout,
  embedding,
  GRAD_RULES,
  gelu,
  glu,
  layerNorm,
  linear,
  noGrad,
  relu,
  rmsNorm,
  rotaryTables,
  scale,
  scope,
  silu,
  Tensor,
} from "../src/index";
import { gradCheck, randn, rng } from "./helpers/gradcheck";

interface Case {
  name: string;
  shapes: number[][];
  fn: (...xs: Tensor[]) => Tensor;
  /** Inputs that are data, not differentiable (index -> tensor factory). */
  fixed?: Record<number, () => Tensor>;
  tol?: { rtol?: number; atol?: number; h?: number };
}

const ids = (n: number, v: number, seed: number) => {
  const r = rng(seed);
  return Tensor.fromArray(
    Array.from({ length: n }, () => Math.floor(r() * v)),
    [n],
    { dtype: "i32" },
  );
};

const B = 2;
const T = 5;
const NH = 2;
const HS = 8;
const tables = rotaryTables(T, 4);
const slopes4 = alibiSlopes(4);
// GQA sizes: 4 query heads over 2 kv heads (blocked [Q ‖ K ‖ V] rows of (4 + 2·2)·8 = 64).
const GQA = { B, T, NH: 4, NKV: 2, HS };
const qkvWidth = (nh: number, nkv: number) => [B * T, (nh + 2 * nkv) * HS];

const CASES: Case[] = [
  { name: "linear (odd sizes, bias)", shapes: [[3, 17], [5, 17], [5]], fn: (x, w, b) => linear(x, w, b) },
  {
    name: "linear (no bias, 3-d input)",
    shapes: [
      [2, 3, 7],
      [4, 7],
    ],
    fn: (x, w) => linear(x, w),
  },
  { name: "layerNorm", shapes: [[4, 17], [17], [17]], fn: (x, w, b) => layerNorm(x, w, b, 1e-5) },
  { name: "layerNorm (no affine)", shapes: [[3, 8]], fn: (x) => layerNorm(x, null, null) },
  { name: "gelu (erf)", shapes: [[3, 129]], fn: (x) => gelu(x) },
  { name: "gelu (tanh)", shapes: [[40]], fn: (x) => gelu(x, "tanh") },
  {
    name: "add",
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => add(a, b),
  },
  { name: "scale", shapes: [[7]], fn: (a) => scale(a, -1.5) },
  {
    name: "embedding (repeated ids)",
    shapes: [[11, 6], []],
    fixed: { 1: () => Tensor.fromArray([3, 0, 3, 10, 3, 7], [6], { dtype: "i32" }) },
    fn: (w, t) => embedding(w, t),
  },
  {
    name: "crossEntropy",
    shapes: [[6, 13], []],
    fixed: { 1: () => ids(6, 13, 3) },
    fn: (l, t) => crossEntropy(l, t),
  },
  {
    name: "attention (causal, rotary on 4 of 8 channels)",
    shapes: [[B * T, 3 * NH * HS]],
    fn: (qkv) => causalSelfAttention(qkv, { B, T, NH, HS, rotDim: 4 }, { rotary: tables }),
  },
  {
    name: "attention (no rotary)",
    shapes: [[B * T, 3 * NH * HS]],
    fn: (qkv) => causalSelfAttention(qkv, { B, T, NH, HS, rotDim: 0 }),
  },
  {
    name: "attention (GQA 4/2, blocked QKV, rotary on 4 of 8)",
    shapes: [qkvWidth(4, 2)],
    fn: (qkv) => causalSelfAttention(qkv, { ...GQA, rotDim: 4 }, { rotary: tables }),
  },
  {
    name: "attention (MQA, sliding window 2, ALiBi)",
    shapes: [qkvWidth(4, 1)],
    fn: (qkv) => causalSelfAttention(qkv, { ...GQA, NKV: 1, rotDim: 0, window: 2 }, { alibi: slopes4 }),
  },
  {
    name: "attention (MHA in the blocked layout, ALiBi, window 1, scale 0.5)",
    shapes: [qkvWidth(NH, NH)],
    fn: (qkv) =>
      causalSelfAttention(
        qkv,
        { B, T, NH, HS, rotDim: 0, layout: "blocked", window: 1, scale: 0.5 },
        { alibi: slopes4.narrow(0, 0, NH) },
      ),
  },
  { name: "rmsNorm", shapes: [[4, 17], [17]], fn: (x, w) => rmsNorm(x, w, 1e-5) },
  { name: "rmsNorm (no weight, eps 1e-8)", shapes: [[3, 8]], fn: (x) => rmsNorm(x, null) },
  { name: "glu swiglu", shapes: [[3, 18]], fn: (x) => glu(x, "swiglu") },
  { name: "glu geglu (3-d input)", shapes: [[2, 3, 10]], fn: (x) => glu(x, "geglu") },
  { name: "glu geglu_tanh", shapes: [[4, 14]], fn: (x) => glu(x, "geglu_tanh") },
  // ReLU's kink at 0: a step of 1e-3 keeps the seeded normal inputs on one side of it.
  { name: "glu reglu", shapes: [[3, 18]], fn: (x) => glu(x, "reglu"), tol: { h: 1e-3 } },
  { name: "relu", shapes: [[3, 17]], fn: (x) => relu(x), tol: { h: 1e-3 } },
  { name: "silu", shapes: [[3, 17]], fn: (x) => silu(x) },
  { name: "biasAdd (3-d input)", shapes: [[2, 3, 7], [7]], fn: (x, b) => biasAdd(x, b!) },
  {
    name: "rmsNorm + biasAdd (GPT-NeoX RMSNorm with offset)",
    shapes: [[4, 9], [9], [9]],
    fn: (x, w, b) => biasAdd(rmsNorm(x, w, 1e-5), b!),
  },
  {
    name: "dropout (p 0.3, mask regenerated in backward)",
    shapes: [[5, 40]],
    fn: (x) => dropout(x, 0.3, { seed: 1234, offset: 77 }),
  },
  {
    name: "view + transpose + contiguous",
    shapes: [[4, 6]],
    fn: (x) => gelu(x.view(2, 12).transpose(0, 1).contiguous()),
  },
  { name: "narrow (rows)", shapes: [[5, 3]], fn: (x) => gelu(x.narrow(0, 1, 3)) },
  {
    name: "checkpoint (recomputes a linear + gelu block)",
    shapes: [[3, 8], [8, 8], [8]],
    fn: (x, w, b) => checkpoint((y) => gelu(linear(y, w!, b!)), [x!]),
  },
];

// Ops whose tape entries the cases below produced; every rule in GRAD_RULES must be among them.
const covered = new Set<string>();

describe("gradients through the tape match finite differences", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const rand = rng(c.name.length * 97);
      const inputs = c.shapes.map((shape, i) => {
        const make = c.fixed?.[i];
        if (make) return make();
        const n = shape.reduce((a, b) => a * b, 1);
        return Tensor.fromArray(randn(n, rand, 0.8), shape).requireGrad();
      });
      scope(() => {
        c.fn(...inputs);
        for (const e of activeTape().entries) covered.add(e.op);
        activeTape().clear();
      });
      const bad = gradCheck(c.fn, inputs, { samples: 20, ...c.tol });
      expect(bad).toEqual([]);
      for (const t of inputs) t.dispose();
    });
  }
});

describe("linear with a bf16 working copy", () => {
  // Finite differences cannot see through bf16 rounding; instead the bf16 path's output and
  // gradients must equal the fp32 path's to bf16 precision (8 mantissa bits: ~0.4% per operand).
  it("matches the fp32 path to bf16 precision, gradients landing on the fp32 master weight", () => {
    const rand = rng(5);
    const x = Tensor.fromArray(randn(6 * 32, rand), [6, 32]).requireGrad();
    const w = Tensor.fromArray(randn(16 * 32, rand, 0.2), [16, 32]).requireGrad();
    const dy = Tensor.fromArray(randn(6 * 16, rand), [6, 16]);
    const run = (lowp: boolean) => {
      x.grad = null;
      w.grad = null;
      const wl = lowp ? cast(w, "bf16") : null;
      if (wl) covered.add("cast"); // bf16 rounding hides the cast from finite differences
      const y = linear(x, w, null, { weightLowp: wl });
      const out = y.toFloat32Array();
      backward(y, dy);
      return { y: out, dx: x.grad!.toFloat32Array(), dw: w.grad!.toFloat32Array() };
    };
    const f = run(false);
    const b = run(true);
    const maxDiff = (a: Float32Array, c: Float32Array) => {
      let m = 0;
      let s = 0;
      for (let i = 0; i < a.length; i++) {
        m = Math.max(m, Math.abs(a[i]! - c[i]!));
        s = Math.max(s, Math.abs(c[i]!));
      }
      return m / s;
    };
    for (const k of ["y", "dx", "dw"] as const) {
      expect(maxDiff(b[k], f[k])).toBeLessThan(2e-2);
      expect(maxDiff(b[k], f[k])).toBeGreaterThan(0); // really took the bf16 path
    }
  });
});

describe("crossEntropyTrain (the gradient written in the loss's own pass)", () => {
  // Its gradient must be crossEntropy's (checked by finite differences above) times the seed, for
  // leaf logits (own buffer) and for logits an op made (their buffer overwritten in place).
  it("gives crossEntropy's gradients times the seed, leaf and intermediate logits alike", () => {
    const rand = rng(11);
    const N = 6;
    const V = 13;
    const seed = Tensor.fromArray(Float32Array.of(2.5), [1]);
    const targets = ids(N, V, 3);
    const mask = Tensor.fromArray(
      Float32Array.from({ length: N }, (_, i) => (i === 2 ? 0 : 1)),
      [N],
    );
    const x = Tensor.fromArray(randn(N * 8, rand), [N, 8]).requireGrad();
    const w = Tensor.fromArray(randn(V * 8, rand, 0.5), [V, 8]).requireGrad();
    const grads = (fused: boolean) => {
      x.grad = null;
      w.grad = null;
      const loss = scope(() => {
        const logits = linear(x, w); // an intermediate: overwritten in place when fused
        const l = fused
          ? crossEntropyTrain(logits, targets, mask, seed)
          : crossEntropy(logits, targets, mask);
        if (fused) for (const e of activeTape().entries) covered.add(e.op);
        backward(l, fused ? seed : Tensor.fromArray(Float32Array.of(2.5), [1]));
        return l.item();
      });
      return { loss, dx: x.grad!.toFloat32Array(), dw: w.grad!.toFloat32Array() };
    };
    // The fused kernel forms the softmax in its own pass: equal to rounding (1e-6 of the largest).
    const near = (a: Float32Array, b: Float32Array) => {
      const scale = Math.max(...b.map(Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6 * scale);
    };
    const plain = grads(false);
    const fused = grads(true);
    expect(Math.abs(fused.loss - plain.loss)).toBeLessThan(1e-6 * plain.loss);
    near(fused.dx, plain.dx);
    near(fused.dw, plain.dw);

    // Leaf logits keep their values; without gradients it is plain crossEntropy.
    const leaf = Tensor.fromArray(randn(N * V, rand), [N, V]).requireGrad();
    const before = leaf.toFloat32Array();
    scope(() => backward(crossEntropyTrain(leaf, targets, null, seed), seed));
    expect(leaf.toFloat32Array()).toEqual(before);
    const want = scope(() => {
      const g = leaf.grad!.toFloat32Array();
      leaf.grad = null;
      backward(crossEntropy(leaf, targets), Tensor.fromArray(Float32Array.of(2.5), [1]));
      return g;
    });
    near(want, leaf.grad!.toFloat32Array());
    expect(noGrad(() => scope(() => crossEntropyTrain(leaf, targets, null, seed).item()))).toBe(
      noGrad(() => scope(() => crossEntropy(leaf, targets).item())),
    );
    for (const t of [seed, targets, mask, x, w, leaf]) t.dispose();
  });
});

describe("coverage", () => {
  it("every gradient rule has a case above (add one when adding a rule)", () => {
    expect(Object.keys(GRAD_RULES).filter((op) => !covered.has(op))).toEqual([]);
  });
});
