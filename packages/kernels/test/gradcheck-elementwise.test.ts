// Finite-difference checks of the float64 reference backward of every differentiable element-wise
// op (GELU exact/tanh, ReLU, SiLU, SwiGLU/GeGLU/ReGLU, bias add, residual, dropout, scale, axpy, row/column sums,
// strided copy, embedding). The native backward kernels are checked against these references by
// the parity tests, so together they pin the native gradients. To add an op: one `it` computing
// loss = Σ dout·forward(x) and comparing the reference backward with expectGrad.
import { describe, it } from "vitest";
import * as bias from "../src/reference/bias-add";
import * as dropout from "../src/reference/dropout";
import * as emb from "../src/reference/embedding";
import * as fill from "../src/reference/fill";
import * as gelu from "../src/reference/gelu";
import * as glu from "../src/reference/glu";
import * as reduce from "../src/reference/reduce";
import * as relu from "../src/reference/relu";
import * as silu from "../src/reference/silu";
import { expectGrad, lossOf, upstream } from "./helpers/finite-diff";
import { Rng } from "./helpers/native";

describe("element-wise gradients match finite differences", () => {
  for (const tanh of [false, true]) {
    it(`geluBackward (${tanh ? "tanh" : "exact"})`, () => {
      const rng = new Rng(1);
      const n = 33;
      const x = rng.normalArray(n, 3);
      const dout = upstream(rng, n);
      const y = new Float64Array(n);
      const loss = lossOf(dout, y, () => gelu.geluForward(y, x, n, tanh));
      const dx = new Float64Array(n);
      gelu.geluBackward(dx, dout, x, n, tanh);
      expectGrad("dinp", dx, loss, x);
    });
  }

  // Random normal inputs land far (relative to the finite-difference step) from ReLU's kink at 0.
  it("reluBackward", () => {
    const rng = new Rng(11);
    const n = 33;
    const x = rng.normalArray(n, 2);
    const dout = upstream(rng, n);
    const y = new Float64Array(n);
    const loss = lossOf(dout, y, () => relu.reluForward(y, x, n));
    const dx = new Float64Array(n);
    relu.reluBackward(dx, dout, x, n);
    expectGrad("dinp", dx, loss, x);
  });

  it("siluBackward", () => {
    const rng = new Rng(12);
    const n = 33;
    const x = rng.normalArray(n, 3);
    const dout = upstream(rng, n);
    const y = new Float64Array(n);
    const loss = lossOf(dout, y, () => silu.siluForward(y, x, n));
    const dx = new Float64Array(n);
    silu.siluBackward(dx, dout, x, n);
    expectGrad("dinp", dx, loss, x);
  });

  for (const kind of [0, 1, 2, 3] as const) {
    it(`gluBackward (kind ${kind})`, () => {
      const rng = new Rng(2 + kind);
      const [N, C] = [3, 5];
      const x = rng.normalArray(N * 2 * C, 2);
      const dout = upstream(rng, N * C);
      const y = new Float64Array(N * C);
      const loss = lossOf(dout, y, () => glu.gluForward(y, x, N, C, kind));
      const dx = new Float64Array(N * 2 * C);
      glu.gluBackward(dx, dout, x, N, C, kind);
      expectGrad("dinp", dx, loss, x);
    });
  }

  it("biasAddBackward (dbias; dinp is dout)", () => {
    const rng = new Rng(5);
    const [N, C] = [4, 7];
    const x = rng.normalArray(N * C);
    const b = rng.normalArray(C);
    const dout = upstream(rng, N * C);
    const y = new Float64Array(N * C);
    const loss = lossOf(dout, y, () => bias.biasAddForward(y, x, b, N, C));
    const db = new Float64Array(C);
    bias.biasAddBackward(db, dout, N, C);
    expectGrad("dbias", db, loss, b);
    expectGrad("dinp", dout, loss, x);
  });

  it("residualBackward", () => {
    const rng = new Rng(6);
    const n = 9;
    const [a, b, dout] = [rng.normalArray(n), rng.normalArray(n), upstream(rng, n)];
    const y = new Float64Array(n);
    const loss = lossOf(dout, y, () => bias.residualForward(y, a, b, n));
    const [da, db] = [new Float64Array(n), new Float64Array(n)];
    bias.residualBackward(da, db, dout, n);
    expectGrad("da", da, loss, a);
    expectGrad("db", db, loss, b);
  });

  it("dropoutBackward (same seed and offset replay the mask)", () => {
    const rng = new Rng(7);
    const n = 64;
    const [x, dout] = [rng.normalArray(n), upstream(rng, n)];
    const y = new Float64Array(n);
    const loss = lossOf(dout, y, () => dropout.dropoutForward(y, x, n, 0.3, 77, 1000));
    const dx = new Float64Array(n);
    dropout.dropoutBackward(dx, dout, n, 0.3, 77, 1000);
    expectGrad("dinp", dx, loss, x);
  });

  it("scaleF32 and axpyF32 (their backward is a scale)", () => {
    const rng = new Rng(8);
    const n = 10;
    const [a, b, dout] = [rng.normalArray(n), rng.normalArray(n), upstream(rng, n)];
    const y = new Float64Array(n);
    const lossScale = lossOf(dout, y, () => fill.scaleF32(y, a, -0.7, n));
    const da = new Float64Array(n);
    fill.scaleF32(da, dout, -0.7, n);
    expectGrad("scale dinp", da, lossScale, a);
    const lossAxpy = lossOf(dout, y, () => fill.axpyF32(y, a, b, 1.5, n));
    const db = new Float64Array(n);
    fill.scaleF32(db, dout, 1.5, n);
    expectGrad("axpy da", dout, lossAxpy, a);
    expectGrad("axpy db", db, lossAxpy, b);
  });

  it("sumRowsF32 / sumColsF32 (backward: a broadcast, expressed as a stride-0 strided copy)", () => {
    const rng = new Rng(9);
    const [N, C] = [5, 6];
    const x = rng.normalArray(N * C);
    const alpha = 1 / N;
    const doutRows = upstream(rng, C);
    const yr = new Float64Array(C);
    const lossRows = lossOf(doutRows, yr, () => reduce.sumRowsF32(yr, x, N, C, C, alpha, false));
    const dxr = new Float64Array(N * C);
    fill.copyStridedF32(dxr, doutRows, 1, 1, N, C, 0, 0, 0, 1); // dout[c] on every row
    fill.scaleF32(dxr, dxr, alpha, N * C);
    expectGrad("sumRows dinp", dxr, lossRows, x);
    const doutCols = upstream(rng, N);
    const yc = new Float64Array(N);
    const lossCols = lossOf(doutCols, yc, () => reduce.sumColsF32(yc, x, N, C, C, 1, false));
    const dxc = new Float64Array(N * C);
    fill.copyStridedF32(dxc, doutCols, 1, 1, N, C, 0, 0, 1, 0); // dout[n] on every column
    expectGrad("sumCols dinp", dxc, lossCols, x);
  });

  it("copyStridedF32 transpose (backward: the inverse transpose)", () => {
    const rng = new Rng(10);
    const [R, K] = [3, 4];
    const x = rng.normalArray(R * K);
    const dout = upstream(rng, R * K);
    const y = new Float64Array(R * K);
    const loss = lossOf(dout, y, () => fill.copyStridedF32(y, x, 1, 1, K, R, 0, 0, 1, K)); // (R,K) -> (K,R)
    const dx = new Float64Array(R * K);
    fill.copyStridedF32(dx, dout, 1, 1, R, K, 0, 0, 1, R); // (K,R) -> (R,K)
    expectGrad("dinp", dx, loss, x);
  });

  it("embeddingBackward (scatter-add, repeated ids)", () => {
    const rng = new Rng(11);
    const [N, C, V] = [7, 3, 4];
    const ids = Int32Array.of(0, 3, 3, 1, 0, 3, 2);
    const w = rng.normalArray(V * C);
    const dout = upstream(rng, N * C);
    const y = new Float64Array(N * C);
    const loss = lossOf(dout, y, () => emb.embeddingForward(y, ids, w, N, C, V));
    const dw = new Float64Array(V * C);
    emb.embeddingBackward(dw, dout, ids, N, C, V);
    expectGrad("dweight", dw, loss, w);
  });
});
