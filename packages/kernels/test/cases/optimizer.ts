// Parity cases for the multi-tensor optimizer kernels, run by test/optimizer.native.test.ts under
// every ISA. How to add a case: one line with the tensor sizes (and for AdamW the step and the
// gradient scale; weight decay alternates 0.1 / 0 over the tensors, as decay / no-decay groups).
import type { ParityCase } from "../helpers/parity";

export interface OptimizerCase extends ParityCase {
  sizes: number[];
  step?: number;
  gradScale?: number;
  /** clipGradNorm: maxNorm as a fraction of the true norm (< 1 clips, > 1 leaves alone). */
  maxNormFraction?: number;
  alpha?: number;
}

const SIZES = [1, 3, 17, 129, 70_001];
const TOL_ADAM = { atol: 1e-6, rtol: 1e-5 };
const TOL_NORM = { atol: 0, rtol: 1e-6 };

export const optimizerCases: OptimizerCase[] = [
  { op: "adamwStep", name: "step 1", sizes: SIZES, step: 1, gradScale: 1, tol: TOL_ADAM },
  { op: "adamwStep", name: "step 10, gradScale 0.5", sizes: SIZES, step: 10, gradScale: 0.5, tol: TOL_ADAM },
  { op: "adamwStep", name: "one tensor of 17", sizes: [17], step: 3, gradScale: 1, tol: TOL_ADAM },
  { op: "globalL2Norm", name: "5 tensors", sizes: SIZES, tol: TOL_NORM },
  { op: "globalL2Norm", name: "one element", sizes: [1], tol: TOL_NORM },
  { op: "clipGradNorm", name: "clips (max = norm/4)", sizes: SIZES, maxNormFraction: 0.25, tol: TOL_ADAM },
  { op: "clipGradNorm", name: "below the limit", sizes: SIZES, maxNormFraction: 2, tol: TOL_ADAM },
  { op: "scaleTensors", name: "5 tensors", sizes: SIZES, alpha: -0.75, tol: TOL_ADAM },
];
