// Parity cases for layer norm and RMS norm (fp32 and bf16 activations), run by
// test/norm.native.test.ts under every ISA. How to add a case: one line with the op name, N rows,
// C channels, and whether weight/bias are present; bf16 ops use the bf16 tolerance on outputs.
import { type ParityCase, TOL } from "../helpers/parity";

export interface NormCase extends ParityCase {
  N: number;
  C: number;
  affine: boolean;
  eps: number;
}

const SHAPES: [number, number][] = [
  [1, 1],
  [3, 17],
  [17, 129],
  [1001, 33],
  [4, 1024],
];
const BACKWARD_TOL = { atol: 5e-5, rtol: 5e-5 };

const shapes = (op: string, tol: ParityCase["tol"], eps: number): NormCase[] =>
  SHAPES.flatMap(([N, C]) => [
    { op, name: `N=${N} C=${C}`, N, C, affine: true, eps, tol },
    { op, name: `N=${N} C=${C} no weight`, N, C, affine: false, eps, tol },
  ]);

export const normCases: NormCase[] = [
  // 8 MB of fp32 output: the non-temporal store path (kStreamBytes in kernels/cpu/dispatch.h).
  {
    op: "layernormForward",
    name: "N=2049 C=1024 streamed",
    N: 2049,
    C: 1024,
    affine: true,
    eps: 1e-5,
    tol: TOL.f32,
  },
  {
    op: "layernormBackward",
    name: "N=2049 C=1024 streamed",
    N: 2049,
    C: 1024,
    affine: true,
    eps: 1e-5,
    tol: BACKWARD_TOL,
  },
  {
    op: "rmsnormForward",
    name: "N=2049 C=1024 streamed",
    N: 2049,
    C: 1024,
    affine: true,
    eps: 1e-6,
    tol: TOL.f32,
  },
  {
    op: "rmsnormBackward",
    name: "N=2049 C=1024 streamed",
    N: 2049,
    C: 1024,
    affine: true,
    eps: 1e-6,
    tol: BACKWARD_TOL,
  },
  ...shapes("layernormForward", TOL.f32, 1e-5),
  ...shapes("layernormBackward", BACKWARD_TOL, 1e-5),
  ...shapes("layernormForwardBf16", TOL.bf16, 1e-5),
  ...shapes("layernormBackwardBf16", TOL.bf16, 1e-5),
  ...shapes("rmsnormForward", TOL.f32, 1e-6),
  ...shapes("rmsnormBackward", BACKWARD_TOL, 1e-6),
  ...shapes("rmsnormForwardBf16", TOL.bf16, 1e-6),
  ...shapes("rmsnormBackwardBf16", TOL.bf16, 1e-6),
];
