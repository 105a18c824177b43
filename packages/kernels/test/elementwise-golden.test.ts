// The float64 references of the element-wise, norm, loss and optimizer group against PyTorch
// (test/fixtures/elementwise-golden.json, written by tools/fixtures/kernels/golden.py: layer_norm,
// GPT-NeoX's RMSNorm formula, F.gelu exact/tanh, F.silu, gated units, masked cross-entropy, three
// torch.optim.AdamW steps with decay/no-decay groups, clip_grad_norm_). The native kernels are
// checked against these references by the *.native.test.ts parity tests.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as adamw from "../src/reference/adamw";
import * as ce from "../src/reference/cross-entropy";
import * as gelu from "../src/reference/gelu";
import * as clip from "../src/reference/global-norm";
import * as glu from "../src/reference/glu";
import * as ln from "../src/reference/layer-norm";
import * as rms from "../src/reference/rms-norm";
import { expectClose } from "./helpers/native";

const golden = JSON.parse(
  readFileSync(new URL("./fixtures/elementwise-golden.json", import.meta.url), "utf8"),
);
const F64 = (a: number[]) => Float64Array.from(a);
const TIGHT = { atol: 1e-12, rtol: 1e-10 };

describe("float64 references match PyTorch", () => {
  it("layer norm forward and backward", () => {
    const g = golden.layernorm;
    const [y, mean, rstd] = [new Float64Array(g.N * g.C), new Float64Array(g.N), new Float64Array(g.N)];
    ln.layernormForward(y, mean, rstd, F64(g.x), F64(g.w), F64(g.b), g.N, g.C, g.eps);
    expectClose(y, g.y, TIGHT, "y");
    const [dx, dw, db] = [new Float64Array(g.N * g.C), new Float64Array(g.C), new Float64Array(g.C)];
    ln.layernormBackward(dx, dw, db, F64(g.dout), F64(g.x), F64(g.w), mean, rstd, g.N, g.C);
    expectClose(dx, g.dx, TIGHT, "dx");
    expectClose(dw, g.dw, TIGHT, "dw");
    expectClose(db, g.db, TIGHT, "db");
  });

  it("RMS norm forward and backward (eps inside the root)", () => {
    const g = golden.rmsnorm;
    const [y, rstd] = [new Float64Array(g.N * g.C), new Float64Array(g.N)];
    rms.rmsnormForward(y, rstd, F64(g.x), F64(g.w), g.N, g.C, g.eps);
    expectClose(y, g.y, TIGHT, "y");
    const [dx, dw] = [new Float64Array(g.N * g.C), new Float64Array(g.C)];
    rms.rmsnormBackward(dx, dw, F64(g.dout), F64(g.x), F64(g.w), rstd, g.N, g.C);
    expectClose(dx, g.dx, TIGHT, "dx");
    expectClose(dw, g.dw, TIGHT, "dw");
  });

  for (const [key, value, grad] of [
    ["gelu_exact", (x: number) => gelu.geluValue(x, false), (x: number) => gelu.geluGrad(x, false)],
    ["gelu_tanh", (x: number) => gelu.geluValue(x, true), (x: number) => gelu.geluGrad(x, true)],
    ["silu", gelu.siluValue, gelu.siluGrad],
  ] as const) {
    it(`${key} values and derivatives on [-12, 12], tails included`, () => {
      const g = golden[key];
      expectClose(g.x.map(value), g.y, { atol: 1e-15, rtol: 1e-12 }, `${key} y`);
      expectClose(g.x.map(grad), g.dy, { atol: 1e-15, rtol: 1e-10 }, `${key} dy`);
    });
  }

  for (const [key, kind] of [
    ["swiglu", 0],
    ["geglu", 1],
    ["geglu_tanh", 2],
  ] as const) {
    it(`${key}: act(gate)·x with rows [x ‖ gate]`, () => {
      const g = golden[key];
      const y = new Float64Array(g.N * g.C);
      glu.gluForward(y, F64(g.inp), g.N, g.C, kind);
      expectClose(y, g.y, TIGHT, "y");
      const d = new Float64Array(g.N * 2 * g.C);
      glu.gluBackward(d, F64(g.dout), F64(g.inp), g.N, g.C, kind);
      expectClose(d, g.dinp, TIGHT, "dinp");
    });
  }

  it("cross-entropy with a loss mask and an ignored row", () => {
    const g = golden.cross_entropy;
    const [logits, targets, mask] = [F64(g.logits), Int32Array.from(g.targets), F64(g.mask)];
    const lse = new Float64Array(g.N);
    const loss = ce.crossEntropyForward(null, lse, logits, targets, mask, g.N, g.V);
    expect(loss).toBeCloseTo(g.loss, 12);
    const d = new Float64Array(g.N * g.V);
    ce.crossEntropyBackward(d, logits, lse, targets, mask, 1, g.N, g.V);
    expectClose(d, g.dlogits, TIGHT, "dlogits");
  });

  it("three AdamW steps with decay and no-decay groups", () => {
    const g = golden.adamw;
    const tensors = [0, 1].map((k) => ({
      param: F64(g.params0[k]),
      grad: new Float64Array(g.params0[k].length),
      m: new Float64Array(g.params0[k].length),
      v: new Float64Array(g.params0[k].length),
      weightDecay: g.weight_decays[k],
    }));
    g.grads.forEach((stepGrads: number[][], s: number) => {
      for (const [k, t] of tensors.entries()) t.grad.set(stepGrads[k]!);
      adamw.adamwStep(tensors, {
        lr: g.lr,
        beta1: g.beta1,
        beta2: g.beta2,
        eps: g.eps,
        step: s + 1,
        gradScale: 1,
      });
    });
    for (const [k, t] of tensors.entries()) {
      expectClose(t.param, g.params[k], TIGHT, `param ${k}`);
      expectClose(t.m, g.m[k], TIGHT, `m ${k}`);
      expectClose(t.v, g.v[k], TIGHT, `v ${k}`);
    }
  });

  it("clip_grad_norm_", () => {
    const g = golden.clip;
    const grads = g.grads.map(F64);
    expect(clip.clipGradNorm(grads, g.max_norm)).toBeCloseTo(g.norm, 12);
    for (const [k, t] of grads.entries()) expectClose(t, g.clipped[k], TIGHT, `grad ${k}`);
  });
});
