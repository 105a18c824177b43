// Parity cases for the fused softmax cross-entropy, run by test/loss.native.test.ts under every
// ISA. How to add a case: one line with N rows, V classes and the mask style: "none" (no mask),
// "binary" (random 0/1 with some negative targets), "fractional" (weights in [0, 1)), "empty"
// (every row masked: loss 0, gradient 0).
import type { ParityCase } from "../helpers/parity";

export interface LossCase extends ParityCase {
  N: number;
  V: number;
  mask: "none" | "binary" | "fractional" | "empty";
  /** Backward writes the gradient over the logits buffer. */
  inPlace?: boolean;
}

const TOL_CE = { atol: 2e-5, rtol: 2e-5 };

const SHAPES: [number, number][] = [
  [1, 1],
  [3, 17],
  [17, 129],
  [64, 1000],
  [3, 50_304],
];

export const lossCases: LossCase[] = [
  ...SHAPES.flatMap(([N, V]): LossCase[] => [
    { op: "crossEntropyForward", name: `N=${N} V=${V}`, N, V, mask: "none", tol: TOL_CE },
    { op: "crossEntropyForward", name: `N=${N} V=${V} binary mask`, N, V, mask: "binary", tol: TOL_CE },
    { op: "crossEntropyBackward", name: `N=${N} V=${V}`, N, V, mask: "none", tol: TOL_CE },
    {
      op: "crossEntropyBackward",
      name: `N=${N} V=${V} fractional mask`,
      N,
      V,
      mask: "fractional",
      tol: TOL_CE,
    },
  ]),
  { op: "crossEntropyForward", name: "every row masked", N: 5, V: 17, mask: "empty", tol: TOL_CE },
  { op: "crossEntropyBackward", name: "every row masked", N: 5, V: 17, mask: "empty", tol: TOL_CE },
  { op: "crossEntropyFused", name: "N=17 V=129 binary mask", N: 17, V: 129, mask: "binary", tol: TOL_CE },
  {
    op: "crossEntropyFused",
    name: "N=3 V=50304 in place",
    N: 3,
    V: 50_304,
    mask: "none",
    inPlace: true,
    tol: TOL_CE,
  },
  { op: "crossEntropyFused", name: "N=1 V=1", N: 1, V: 1, mask: "none", tol: TOL_CE },
  { op: "crossEntropyFused", name: "every row masked", N: 5, V: 17, mask: "empty", tol: TOL_CE },
  {
    op: "crossEntropyFused",
    name: "N=42 V=50304 streamed",
    N: 42,
    V: 50_304,
    mask: "fractional",
    tol: TOL_CE,
  },
  // 8.4 MB of dlogits: the non-temporal store path.
  {
    op: "crossEntropyBackward",
    name: "N=42 V=50304 streamed",
    N: 42,
    V: 50_304,
    mask: "binary",
    tol: TOL_CE,
  },
  {
    op: "crossEntropyBackward",
    name: "in place N=17 V=129",
    N: 17,
    V: 129,
    mask: "binary",
    inPlace: true,
    tol: TOL_CE,
  },
];

// Row argmax (kernels/cpu/argmax.cc), run by test/argmax.native.test.ts under every ISA. Values:
//   normal  random normals (a unique maximum, anywhere: vector body or scalar tail)
//   ties    small integers, so the maximum repeats across lanes and accumulators: the first wins
//   nan     normals with NaNs sprinkled in, one at each row's start (NaN is never greater)
//   edge    rows of -inf and NaN only, and a row of NaNs only (0)
export interface ArgmaxCase extends ParityCase {
  op: "argmaxRows";
  R: number;
  V: number;
  values: "normal" | "ties" | "nan" | "edge";
}

const ARGMAX_SHAPES: [number, number][] = [
  [1, 1],
  [3, 7],
  [4, 64],
  [5, 65],
  [3, 129],
  [9, 1000],
  [8, 50_304],
];
export const argmaxCases: ArgmaxCase[] = ARGMAX_SHAPES.flatMap(([R, V]) =>
  (["normal", "ties", "nan", "edge"] as const).map(
    (values): ArgmaxCase => ({
      op: "argmaxRows",
      name: `R=${R} V=${V} ${values}`,
      R,
      V,
      values,
      tol: { atol: 0, rtol: 0 },
    }),
  ),
);
