// Finite-difference check of the float64 cross-entropy backward (masked mean, ignored rows), and
// of the reference forward against a direct log-softmax on small numbers. The native kernels are
// checked against these references by test/loss.native.test.ts.
import { describe, expect, it } from "vitest";
import * as ce from "../src/reference/cross-entropy";
import { expectGrad } from "./helpers/finite-diff";
import { Rng } from "./helpers/native";

describe("cross-entropy gradient matches finite differences", () => {
  for (const withMask of [false, true]) {
    it(`crossEntropyBackward ${withMask ? "fractional mask, an ignored row" : "no mask"}`, () => {
      const rng = new Rng(withMask ? 21 : 20);
      const [N, V] = [4, 7];
      const logits = rng.normalArray(N * V, 2);
      const targets = Int32Array.of(3, 0, withMask ? -1 : 6, 2);
      const mask = withMask ? Float64Array.of(0.5, 1, 1, 0.25) : null;
      const dloss = 1.7;
      const loss = () => dloss * ce.crossEntropyForward(null, null, logits, targets, mask, N, V);
      const lse = new Float64Array(N);
      ce.crossEntropyForward(null, lse, logits, targets, mask, N, V);
      const d = new Float64Array(N * V);
      ce.crossEntropyBackward(d, logits, lse, targets, mask, dloss, N, V);
      expectGrad("dlogits", d, loss, logits);
    });
  }

  it("the forward is -log softmax at the target, averaged over the mask", () => {
    // Two rows, hand-checkable: logits (0, ln 3) -> p = (1/4, 3/4).
    const logits = Float64Array.of(0, Math.log(3), 0, Math.log(3));
    const loss = ce.crossEntropyForward(null, null, logits, Int32Array.of(1, 0), Float64Array.of(1, 3), 2, 2);
    expect(loss).toBeCloseTo((-Math.log(3 / 4) + 3 * -Math.log(1 / 4)) / 4, 14);
  });
});
