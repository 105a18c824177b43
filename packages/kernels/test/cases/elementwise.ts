// Parity cases for the element-wise kernels (fills, copies, casts, reductions, bias add, residual,
// GELU, ReLU, SiLU, gated units, dropout). Each line is one case run against the float64 reference under
// every ISA this CPU supports by test/elementwise.native.test.ts.
//
// How to add a case: append a line with the op name exactly as ops() lists it and the sizes its
// runner reads (n for flat ops; N, C for row ops; see the runner table in the test). How to add an
// op: register it in native/ops-elementwise.cc, add its float64 twin under src/reference/, add a
// runner to elementwise.native.test.ts and at least one line here (coverage.native.test.ts fails
// until you do).
import { type ParityCase, TOL } from "../helpers/parity";

export interface ElementwiseCase extends ParityCase {
  n?: number;
  N?: number;
  C?: number;
  /** Row stride for the reductions (>= C). */
  ld?: number;
  /** copyStridedF32: output shape and input strides. */
  dims?: [number, number, number, number];
  strides?: [number, number, number, number];
  /** Size of the input buffer copyStridedF32 reads. */
  inputSize?: number;
  tanh?: boolean;
  kind?: 0 | 1 | 2 | 3;
  p?: number;
  seed?: number;
  offset?: number;
  alpha?: number;
  accumulate?: boolean;
  /** Output written `shift` elements past a 64-byte boundary (unaligned streaming stores). */
  shift?: number;
}

// Outputs of 8 MB and more take the non-temporal store path (kStreamBytes in dispatch.h).
const STREAMED = 2_100_001;

// Flat sizes: odd sizes around the vector widths (8, 16) and one that spans two threads' ranges
// (the element grain is 16384) with a ragged tail.
const SIZES = [1, 3, 17, 129, 40_001];
// Row shapes: N = 1001 rows of 33 splits over threads; C = 1024 is a model width.
const ROWS: [number, number][] = [
  [1, 1],
  [3, 17],
  [17, 129],
  [1001, 33],
  [4, 1024],
];

const GELU_TOL = { atol: 2e-6, rtol: 2e-6 };

const flat = (op: string, extra: Partial<ElementwiseCase> = {}, tol: ParityCase["tol"] = TOL.f32) =>
  SIZES.map((n): ElementwiseCase => ({ op, name: `n=${n}`, n, tol, ...extra }));
const rows = (op: string, extra: Partial<ElementwiseCase> = {}, tol: ParityCase["tol"] = TOL.f32) =>
  ROWS.map(([N, C]): ElementwiseCase => ({ op, name: `N=${N} C=${C}`, N, C, tol, ...extra }));

export const elementwiseCases: ElementwiseCase[] = [
  ...flat("fillF32", {}, TOL.exact),
  ...flat("scaleF32", { alpha: -0.37 }),
  ...flat("axpyF32", { alpha: 1.5 }),
  ...flat("copyF32", {}, TOL.exact),
  ...flat("castF32ToBf16", {}, TOL.exact),
  ...flat("castBf16ToF32", {}, TOL.exact),
  // Transposes and slices: (R, K) -> (K, R); (B, T, NH, HS) -> (B, NH, T, HS); every other column.
  {
    op: "copyStridedF32",
    name: "transpose 17x129",
    dims: [1, 1, 129, 17],
    strides: [0, 0, 1, 129],
    inputSize: 17 * 129,
    tol: TOL.exact,
  },
  {
    op: "copyStridedF32",
    name: "BTHS->BHTS 2x17x3x8",
    dims: [2, 3, 17, 8],
    strides: [17 * 3 * 8, 8, 3 * 8, 1],
    inputSize: 2 * 17 * 3 * 8,
    tol: TOL.exact,
  },
  {
    op: "copyStridedF32",
    name: "column stride 2, 3x65",
    dims: [1, 1, 3, 65],
    strides: [0, 0, 130, 2],
    inputSize: 3 * 130,
    tol: TOL.exact,
  },
  {
    op: "copyStridedF32",
    name: "broadcast row 5x7",
    dims: [1, 1, 5, 7],
    strides: [0, 0, 0, 1],
    inputSize: 7,
    tol: TOL.exact,
  },
  ...rows("sumRowsF32", { alpha: 1, accumulate: false }, { atol: 1e-4, rtol: 1e-5 }),
  {
    op: "sumRowsF32",
    name: "mean, ld=40, accumulate",
    N: 129,
    C: 33,
    ld: 40,
    alpha: 1 / 129,
    accumulate: true,
  },
  ...rows("sumColsF32", { alpha: 1, accumulate: false }, { atol: 1e-4, rtol: 1e-5 }),
  {
    op: "sumColsF32",
    name: "mean, ld=20, accumulate",
    N: 17,
    C: 17,
    ld: 20,
    alpha: 1 / 17,
    accumulate: true,
  },
  ...rows("biasAddForward"),
  ...rows("biasAddBackward", {}, { atol: 1e-4, rtol: 1e-5 }),
  ...flat("residualForward"),
  ...flat("residualBackward", {}, TOL.exact),
  ...flat("geluForward", { tanh: false }, GELU_TOL),
  ...flat("geluForward", { tanh: true }, GELU_TOL),
  ...flat("geluBackward", { tanh: false }, GELU_TOL),
  ...flat("geluBackward", { tanh: true }, GELU_TOL),
  ...flat("reluForward", {}, TOL.exact),
  ...flat("reluBackward", {}, TOL.exact),
  ...flat("siluForward", {}, GELU_TOL),
  ...flat("siluBackward", {}, GELU_TOL),
  ...([0, 1, 2, 3] as const).flatMap((kind) => rows("gluForward", { kind }, GELU_TOL)),
  ...([0, 1, 2, 3] as const).flatMap((kind) => rows("gluBackward", { kind }, GELU_TOL)),
  { op: "fillF32", name: `n=${STREAMED} streamed`, n: STREAMED, tol: TOL.exact },
  { op: "scaleF32", name: `n=${STREAMED} streamed, in place`, n: STREAMED, alpha: 3, tol: TOL.f32 },
  { op: "axpyF32", name: `n=${STREAMED} streamed`, n: STREAMED, alpha: -2, tol: TOL.f32 },
  { op: "residualForward", name: `n=${STREAMED} streamed`, n: STREAMED, tol: TOL.f32 },
  {
    op: "residualForward",
    name: `n=${STREAMED} streamed, output shifted 3`,
    n: STREAMED,
    shift: 3,
    tol: TOL.f32,
  },
  { op: "biasAddForward", name: "N=2049 C=1024 streamed", N: 2049, C: 1024, tol: TOL.f32 },
  { op: "geluForward", name: `n=${STREAMED} tanh streamed`, n: STREAMED, tanh: true, tol: GELU_TOL },
  { op: "geluBackward", name: `n=${STREAMED} tanh streamed`, n: STREAMED, tanh: true, tol: GELU_TOL },
  { op: "reluForward", name: `n=${STREAMED} streamed`, n: STREAMED, tol: TOL.exact },
  { op: "reluBackward", name: `n=${STREAMED} streamed`, n: STREAMED, tol: TOL.exact },
  { op: "siluBackward", name: `n=${STREAMED} streamed`, n: STREAMED, tol: GELU_TOL },
  { op: "gluForward", name: "N=1025 C=2048 streamed", N: 1025, C: 2048, kind: 0, tol: GELU_TOL },
  { op: "gluBackward", name: "N=513 C=2048 streamed, reglu", N: 513, C: 2048, kind: 3, tol: GELU_TOL },
  { op: "gluBackward", name: "N=513 C=2048 streamed", N: 513, C: 2048, kind: 0, tol: GELU_TOL },
  ...flat("dropoutForward", { p: 0.1, seed: 1234, offset: 0 }),
  {
    op: "dropoutForward",
    name: "p=0.5 offset near 2^32",
    n: 40_001,
    p: 0.5,
    seed: 2 ** 40 + 7,
    offset: 2 ** 32 - 20_000,
  },
  { op: "dropoutForward", name: "p=0", n: 129, p: 0, seed: 1, offset: 5 },
  { op: "dropoutForward", name: "p=1", n: 129, p: 1, seed: 1, offset: 5 },
  ...flat("dropoutBackward", { p: 0.3, seed: 99, offset: 1_000_000 }),
];
