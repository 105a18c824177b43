// causalSelfAttention with dropout on the attention probabilities (GPT-NeoX attention_dropout):
// output and dQKV against the kernels' float64 reference with the same mask, p = 0 as the op
// without dropout, and a planned step whose Scalar seed draws a fresh mask on every replay,
// forward and backward, bit-identical to eager steps with the same seeds.
// To add a parity case: a line in CASES (layouts as in ops-parity.native.test.ts).
import { referenceAttention, referenceRotary } from "@neox/kernels";
import { describe, expect, it } from "vitest";
import {
  type AttentionDropout,
  type AttentionShape,
  alibiSlopes,
  backward,
  causalSelfAttention,
  crossEntropy,
  FlatParams,
  linear,
  Plan,
  type QkvLayout,
  rotaryTables,
  Scalar,
  scope,
  Tensor,
} from "../src/index";
import { randn, rng } from "./helpers/gradcheck";

interface Case {
  name: string;
  B: number;
  T: number;
  NH: number;
  NKV: number;
  HS: number;
  rotDim: number;
  layout: QkvLayout;
  window?: number;
  alibi?: boolean;
  p: number;
}

const CASES: Case[] = [
  {
    name: "MHA interleaved, rotary 4/8, p 0.2",
    B: 2,
    T: 9,
    NH: 2,
    NKV: 2,
    HS: 8,
    rotDim: 4,
    layout: "interleaved",
    p: 0.2,
  },
  {
    name: "GQA 6/3 blocked, window 3, ALiBi, rotary, p 0.5",
    B: 1,
    T: 12,
    NH: 6,
    NKV: 3,
    HS: 8,
    rotDim: 4,
    layout: "blocked",
    window: 3,
    alibi: true,
    p: 0.5,
  },
  {
    name: "MQA 4/1 blocked, T 70 (two key tiles), p 0.1",
    B: 1,
    T: 70,
    NH: 4,
    NKV: 1,
    HS: 16,
    rotDim: 0,
    layout: "blocked",
    p: 0.1,
  },
];

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want[i]!));
    m = Math.max(m, Math.abs(want[i]!));
  }
  return d / m;
}

/** Element index of q/k/v (which 0/1/2) head h channel e inside one QKV row (neox-spec §1.1). */
function qkvIndex(c: Case, which: 0 | 1 | 2, h: number, e: number): number {
  if (c.layout === "interleaved") return (h * 3 + which) * c.HS + e;
  const base = which === 0 ? 0 : which === 1 ? c.NH * c.HS : (c.NH + c.NKV) * c.HS;
  return base + h * c.HS + e;
}

/** Dense (B, T, H, HS) q, k or v from QKV rows, or (scatter) dq, dk, dv back into dQKV rows. */
function moveHeads(c: Case, rows: Float64Array, heads: Float64Array, which: 0 | 1 | 2, toRows: boolean) {
  const H = which === 0 ? c.NH : c.NKV;
  const width = (c.NH + 2 * c.NKV) * c.HS;
  for (let r = 0; r < c.B * c.T; r++)
    for (let h = 0; h < H; h++)
      for (let e = 0; e < c.HS; e++) {
        const at = r * width + qkvIndex(c, which, h, e);
        const i = (r * H + h) * c.HS + e;
        if (toRows) rows[at] = heads[i]!;
        else heads[i] = rows[at]!;
      }
}

/** The float64 reference of the op: rotary, attention with the dropout mask, rotary backward. */
function reference(
  c: Case,
  qkv: Float32Array,
  dout: Float32Array,
  slopes: Float64Array | null,
  drop: AttentionDropout,
) {
  const half = c.rotDim / 2;
  const cos = new Float64Array(c.T * half);
  const sin = new Float64Array(c.T * half);
  if (c.rotDim > 0) referenceRotary.rotaryTable(cos, sin, c.T, c.rotDim, 10000);
  const rot = (x: Float64Array, H: number, dir: "rotaryForward" | "rotaryBackward") => {
    if (c.rotDim === 0) return x;
    const y = new Float64Array(x.length);
    referenceRotary[dir](y, x, cos, sin, { B: c.B, T: c.T, NH: H, HS: c.HS, rotDim: c.rotDim, posOffset: 0 });
    return y;
  };
  const rows = Float64Array.from(qkv);
  const heads = (which: 0 | 1 | 2) => {
    const out = new Float64Array(c.B * c.T * (which === 0 ? c.NH : c.NKV) * c.HS);
    moveHeads(c, rows, out, which, false);
    return out;
  };
  const q = rot(heads(0), c.NH, "rotaryForward");
  const k = rot(heads(1), c.NKV, "rotaryForward");
  const v = heads(2);
  const d = {
    B: c.B,
    Tq: c.T,
    Tk: c.T,
    NH: c.NH,
    NKV: c.NKV,
    HS: c.HS,
    window: c.window ?? -1,
    scale: 1 / Math.sqrt(c.HS),
  };
  const seed = drop.seed instanceof Scalar ? drop.seed.value : drop.seed;
  const offset = drop.offset instanceof Scalar ? drop.offset.value : drop.offset;
  const mask = { p: drop.p, seed, offset };
  const out = new Float64Array(c.B * c.T * c.NH * c.HS);
  const lse = new Float64Array(c.B * c.NH * c.T);
  referenceAttention.attentionForward(out, lse, q, k, v, slopes, d, mask);
  const [dq, dk, dv] = [new Float64Array(q.length), new Float64Array(k.length), new Float64Array(v.length)];
  referenceAttention.attentionBackward(
    dq,
    dk,
    dv,
    Float64Array.from(dout),
    q,
    k,
    v,
    out,
    lse,
    slopes,
    d,
    mask,
  );
  const dqkv = new Float64Array(qkv.length);
  moveHeads(c, dqkv, rot(dq, c.NH, "rotaryBackward"), 0, true);
  moveHeads(c, dqkv, rot(dk, c.NKV, "rotaryBackward"), 1, true);
  moveHeads(c, dqkv, dv, 2, true);
  return { out, dqkv };
}

const shapeOf = (c: Case): AttentionShape => ({
  B: c.B,
  T: c.T,
  NH: c.NH,
  NKV: c.NKV,
  HS: c.HS,
  rotDim: c.rotDim,
  layout: c.layout,
  ...(c.window === undefined ? {} : { window: c.window }),
});

/** Output and dQKV of the op for upstream gradient dy. */
function runOp(c: Case, qv: Float32Array, dy: Float32Array, drop?: AttentionDropout) {
  const width = (c.NH + 2 * c.NKV) * c.HS;
  const qkv = Tensor.fromArray(qv, [c.B * c.T, width]).requireGrad();
  const tables = c.rotDim > 0 ? rotaryTables(c.T, c.rotDim) : null;
  const slopes = c.alibi ? alibiSlopes(c.NH) : null;
  const y = scope(() => {
    const out = causalSelfAttention(qkv, shapeOf(c), { rotary: tables, alibi: slopes }, drop);
    const values = out.toFloat32Array();
    backward(out, Tensor.fromArray(dy, out.shape));
    return values;
  });
  const dqkv = qkv.grad!.toFloat32Array();
  const slopesF64 = slopes ? Float64Array.from(slopes.toFloat32Array()) : null;
  for (const t of [qkv.grad, qkv, tables?.cos, tables?.sin, slopes]) t?.dispose();
  return { y, dqkv, slopes: slopesF64 };
}

describe("causalSelfAttention with attention dropout vs referenceAttention", () => {
  CASES.forEach((c, n) => {
    it(c.name, () => {
      const rand = rng(500 + n);
      const qv = randn(c.B * c.T * (c.NH + 2 * c.NKV) * c.HS, rand);
      const dy = randn(c.B * c.T * c.NH * c.HS, rand);
      const drop = { p: c.p, seed: new Scalar(2 ** 33 + n, "dropout_seed"), offset: 1000 * n };
      const got = runOp(c, qv, dy, drop);
      const want = reference(c, qv, dy, got.slopes, drop);
      expect(relErr(got.y, want.out)).toBeLessThan(2e-5);
      expect(relErr(got.dqkv, want.dqkv)).toBeLessThan(2e-5);
      // the mask matters: without it the reference is far from the op
      const none = reference(c, qv, dy, got.slopes, { p: 0, seed: 0, offset: 0 });
      expect(relErr(got.y, none.out)).toBeGreaterThan(1e-2);
    });
  });

  it("p = 0 is bitwise the op without dropout", () => {
    const c = CASES[1]!;
    const rand = rng(9);
    const qv = randn(c.B * c.T * (c.NH + 2 * c.NKV) * c.HS, rand);
    const dy = randn(c.B * c.T * c.NH * c.HS, rand);
    const plain = runOp(c, qv, dy);
    const zero = runOp(c, qv, dy, { p: 0, seed: 5, offset: 77 });
    expect(zero.y).toEqual(plain.y);
    expect(zero.dqkv).toEqual(plain.dqkv);
  });

  it("rejects p outside [0, 1), naming it", () => {
    const c = CASES[0]!;
    const qkv = Tensor.fromArray(new Float32Array(c.B * c.T * 3 * c.NH * c.HS), [c.B * c.T, 3 * c.NH * c.HS]);
    expect(() =>
      causalSelfAttention(qkv, { ...shapeOf(c), rotDim: 0 }, {}, { p: 1, seed: 0, offset: 0 }),
    ).toThrow(/attention: dropout p 1 must be in \[0, 1\)/);
    qkv.dispose();
  });
});

describe("a planned step with attention dropout", () => {
  // QKV activations as a parameter, attention with p 0.3, a projection and a cross-entropy: the
  // loss and every gradient depend on the mask in the forward and in the backward.
  const c: Case = { name: "", B: 2, T: 10, NH: 2, NKV: 2, HS: 8, rotDim: 0, layout: "interleaved", p: 0.3 };
  const V = 7;
  function toy() {
    const width = 3 * c.NH * c.HS;
    const params = new FlatParams([
      { name: "qkv", shape: [c.B * c.T, width], decay: false },
      { name: "w", shape: [V, c.NH * c.HS], decay: false },
    ]);
    params.data.write(randn(params.numel, rng(4)));
    const labels = Tensor.fromArray(
      Array.from({ length: c.B * c.T }, (_, i) => (i * 3) % V),
      [c.B * c.T],
      { dtype: "i32" },
    );
    const seed = new Scalar(0, "dropout_seed");
    const step = () =>
      scope(() => {
        params.zeroGrad();
        const y = causalSelfAttention(params.get("qkv"), shapeOf(c), {}, { p: c.p, seed, offset: 64 });
        const loss = crossEntropy(linear(y, params.get("w")), labels);
        backward(loss);
        return loss;
      });
    const dispose = () => {
      params.dispose();
      labels.dispose();
    };
    return { params, seed, step, dispose };
  }

  it("draws a fresh mask per replay, bit-identical to eager steps with the same seeds", () => {
    const seeds = [11, 12, 13, 2 ** 40];
    const eager = toy();
    const want = seeds.map((s) => {
      eager.seed.value = s;
      const loss = eager.step();
      const r = { loss: loss.item(), grads: eager.params.grads.toFloat32Array() };
      loss.dispose();
      return r;
    });
    eager.dispose();
    // different seeds, different masks: every loss differs
    expect(new Set(want.map((w) => w.loss)).size).toBe(seeds.length);

    const planned = toy();
    planned.seed.value = seeds[0]!;
    const { plan, result } = Plan.record(planned.step);
    // the recording ran on real memory: read its loss there, later ones from the plan's arena
    const got = [{ loss: result.item(), grads: planned.params.grads.toFloat32Array() }];
    const loss = plan.tensor(result);
    result.dispose();
    for (const s of seeds.slice(1)) {
      planned.seed.value = s;
      plan.run();
      got.push({ loss: loss.item(), grads: planned.params.grads.toFloat32Array() });
    }
    expect(got).toEqual(want);
    loss.dispose();
    plan.dispose();
    planned.dispose();
  });
});
