// Finite-difference gradient checks of the float64 references for the differentiable ops of the
// attention group (attention, rotary). With loss = Σ w∘f(x), the reference backward given
// dout = w must match central differences (loss(x + ε) − loss(x − ε)) / 2ε for every input
// element. With attention dropout the mask is a fixed function of (seed, offset), so the same
// check holds for the dropped forward. The native backward kernels are checked against these references in the
// *.native.test.ts parity tests.
import { describe, expect, it } from "vitest";
import { alibiSlopes } from "../src/reference/alibi";
import * as attn from "../src/reference/attention";
import * as rot from "../src/reference/rotary";
import { expectClose, Rng } from "./helpers/native";

const EPS = 1e-6;
const TOL = { atol: 1e-8, rtol: 1e-6 };

function dotW(w: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]! * y[i]!;
  return s;
}

function numericGrad(x: Float64Array, loss: () => number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + EPS;
    const up = loss();
    x[i] = x0 - EPS;
    const down = loss();
    x[i] = x0;
    g[i] = (up - down) / (2 * EPS);
  }
  return g;
}

const attentionShapes: (Omit<attn.AttentionDims, "scale"> & {
  alibi: boolean;
  drop?: attn.AttentionDropout;
})[] = [
  { B: 1, Tq: 5, Tk: 5, NH: 2, NKV: 2, HS: 3, window: -1, alibi: false },
  { B: 2, Tq: 4, Tk: 7, NH: 4, NKV: 2, HS: 3, window: 2, alibi: true },
  { B: 1, Tq: 6, Tk: 6, NH: 3, NKV: 1, HS: 4, window: 0, alibi: true },
  { B: 1, Tq: 1, Tk: 1, NH: 1, NKV: 1, HS: 1, window: -1, alibi: false },
  {
    B: 1,
    Tq: 6,
    Tk: 6,
    NH: 2,
    NKV: 2,
    HS: 3,
    window: -1,
    alibi: false,
    drop: { p: 0.3, seed: 4, offset: 0 },
  },
  {
    B: 2,
    Tq: 4,
    Tk: 7,
    NH: 4,
    NKV: 2,
    HS: 3,
    window: 3,
    alibi: true,
    drop: { p: 0.5, seed: 2 ** 33, offset: 9 },
  },
];

describe("attention reference gradients (finite differences)", () => {
  attentionShapes.forEach((s, n) => {
    const dropName = s.drop ? ` dropout p=${s.drop.p}` : "";
    it(`B=${s.B} Tq=${s.Tq} Tk=${s.Tk} NH=${s.NH} NKV=${s.NKV} HS=${s.HS} window=${s.window} alibi=${s.alibi}${dropName}`, () => {
      const rng = new Rng(300 + n);
      const d: attn.AttentionDims = { ...s, scale: 1 / Math.sqrt(s.HS) };
      const drop = s.drop ?? null;
      const q = rng.normalArray(s.B * s.Tq * s.NH * s.HS);
      const k = rng.normalArray(s.B * s.Tk * s.NKV * s.HS);
      const v = rng.normalArray(s.B * s.Tk * s.NKV * s.HS);
      const w = rng.normalArray(q.length);
      let slopes: Float64Array | null = null;
      if (s.alibi) {
        slopes = new Float64Array(s.NH);
        alibiSlopes(slopes, s.NH);
      }
      const out = new Float64Array(q.length);
      const lse = new Float64Array(s.B * s.NH * s.Tq);
      const loss = () => {
        attn.attentionForward(out, lse, q, k, v, slopes, d, drop);
        return dotW(w, out);
      };
      loss();
      const dq = new Float64Array(q.length);
      const dk = new Float64Array(k.length);
      const dv = new Float64Array(v.length);
      attn.attentionBackward(dq, dk, dv, w, q, k, v, out.slice(), lse.slice(), slopes, d, drop);
      expectClose(dq, numericGrad(q, loss), TOL, "dq");
      expectClose(dk, numericGrad(k, loss), TOL, "dk");
      expectClose(dv, numericGrad(v, loss), TOL, "dv");
      // the check has teeth: gradients are not all zero (window 0 or Tk 1 leaves only dv)
      expect(dv.some((x) => Math.abs(x) > 1e-3)).toBe(true);
      if (s.window !== 0 && s.Tk > 1) expect(dq.some((x) => Math.abs(x) > 1e-3)).toBe(true);
      if (drop) {
        // the mask has teeth: some visible probabilities are dropped, some kept
        const weights: number[] = [];
        for (let i = 0; i < s.Tq; i++)
          for (let j = 0; j <= i + s.Tk - s.Tq; j++)
            weights.push(attn.attentionDropoutWeight(drop, d, 0, 0, i, j));
        expect(weights).toContain(0);
        expect(weights).toContain(1 / (1 - drop.p));
      }
    });
  });
});

describe("rotary reference gradients (finite differences)", () => {
  it("B=2 T=5 NH=3 HS=10 rotDim=6 offset=3", () => {
    const rng = new Rng(77);
    const d: rot.RotaryDims = { B: 2, T: 5, NH: 3, HS: 10, rotDim: 6, posOffset: 3 };
    const half = d.rotDim / 2;
    const cos = new Float64Array((d.T + d.posOffset) * half);
    const sin = new Float64Array(cos.length);
    rot.rotaryTable(cos, sin, d.T + d.posOffset, d.rotDim, 10000);
    const x = rng.normalArray(d.B * d.T * d.NH * d.HS);
    const w = rng.normalArray(x.length);
    const y = new Float64Array(x.length);
    const loss = () => {
      rot.rotaryForward(y, x, cos, sin, d);
      return dotW(w, y);
    };
    const dx = new Float64Array(x.length);
    rot.rotaryBackward(dx, w, cos, sin, d);
    expectClose(dx, numericGrad(x, loss), TOL, "dinp");
  });
});
