// Central finite differences on float64 functions, for the gradient checks of the references
// (test/gradcheck-*.test.ts). With h = 1e-5 the truncation error is O(h²) ≈ 1e-10 and the
// rounding error O(eps/h) ≈ 1e-11 relative to the loss, far below the tolerances used.
import { expectClose, type Rng } from "./native";

/** d loss / d x[i] for every i, perturbing x in place (restored afterwards). */
export function numericGrad(loss: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + h;
    const up = loss();
    x[i] = x0 - h;
    const down = loss();
    x[i] = x0;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Asserts an analytic gradient against central differences of `loss` with respect to x. */
export function expectGrad(
  label: string,
  analytic: ArrayLike<number>,
  loss: () => number,
  x: Float64Array,
): void {
  expectClose(analytic, numericGrad(loss, x), { atol: 1e-7, rtol: 1e-6 }, `${label} vs finite differences`);
}

/** A random upstream gradient; the scalar loss is Σ dout·f(x). */
export const upstream = (rng: Rng, n: number): Float64Array => rng.normalArray(n);

/** The scalar loss Σ dout·y, running `forward` (which writes y) first. */
export function lossOf(dout: ArrayLike<number>, y: ArrayLike<number>, forward: () => void): () => number {
  return () => {
    forward();
    return dot(dout, y);
  };
}
