// Finite-difference checks of the float64 layer norm and RMS norm backward (input, weight, bias),
// with and without the affine parameters. The native backward kernels are checked against these
// references by test/norm.native.test.ts. To add a case: a line in SHAPES.
import { describe, it } from "vitest";
import * as ln from "../src/reference/layer-norm";
import * as rms from "../src/reference/rms-norm";
import { expectGrad, lossOf, upstream } from "./helpers/finite-diff";
import { Rng } from "./helpers/native";

const SHAPES: [number, number][] = [
  [1, 1],
  [2, 3],
  [3, 17],
];

describe("norm gradients match finite differences", () => {
  for (const [N, C] of SHAPES) {
    for (const affine of [true, false]) {
      it(`layernormBackward N=${N} C=${C}${affine ? "" : " no weight"}`, () => {
        const rng = new Rng(N * 100 + C);
        const x = rng.normalArray(N * C, 2);
        const w = affine ? rng.normalArray(C).map((v) => v + 1) : null;
        const b = affine ? rng.normalArray(C) : null;
        const dout = upstream(rng, N * C);
        const eps = 1e-5;
        const y = new Float64Array(N * C);
        const loss = lossOf(dout, y, () => ln.layernormForward(y, null, null, x, w, b, N, C, eps));
        const [mean, rstd] = [new Float64Array(N), new Float64Array(N)];
        ln.layernormForward(y, mean, rstd, x, w, b, N, C, eps);
        const [dx, dw, db] = [new Float64Array(N * C), new Float64Array(C), new Float64Array(C)];
        ln.layernormBackward(dx, w ? dw : null, b ? db : null, dout, x, w, mean, rstd, N, C);
        expectGrad("dinp", dx, loss, x);
        if (w) expectGrad("dweight", dw, loss, w);
        if (b) expectGrad("dbias", db, loss, b);
      });

      it(`rmsnormBackward N=${N} C=${C}${affine ? "" : " no weight"}`, () => {
        const rng = new Rng(N * 100 + C + 1);
        const x = rng.normalArray(N * C, 2);
        const w = affine ? rng.normalArray(C).map((v) => v + 1) : null;
        const dout = upstream(rng, N * C);
        const eps = 1e-6;
        const y = new Float64Array(N * C);
        const loss = lossOf(dout, y, () => rms.rmsnormForward(y, null, x, w, N, C, eps));
        const rstd = new Float64Array(N);
        rms.rmsnormForward(y, rstd, x, w, N, C, eps);
        const [dx, dw] = [new Float64Array(N * C), new Float64Array(C)];
        rms.rmsnormBackward(dx, w ? dw : null, dout, x, w, rstd, N, C);
        expectGrad("dinp", dx, loss, x);
        if (w) expectGrad("dweight", dw, loss, w);
      });
    }
  }
});
