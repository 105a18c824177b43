// Parity cases for the multi-tensor optimizer kernels, run by test/optimizer.native.test.ts under
// every ISA. How to add a case: one line with the tensor sizes and, for the optimizer steps, the
// step t and the grad_scale the host writes into the step-scalars buffer (weight decay alternates
// 0.1 / 0 over the tensors, as decay / no-decay groups). The steps read lr, t, grad_scale and
// found_inf from that buffer; prepareGrads cases give unscale and maxNorm as a fraction of the
// true norm, and may plant a NaN or Inf gradient or values whose squares pass fp32's range.
import type { ParityCase } from "../helpers/parity";

export interface OptimizerCase extends ParityCase {
  sizes: number[];
  step?: number;
  gradScale?: number;
  /** Written into the found_inf slot: the step must leave every buffer bitwise unchanged. */
  foundInf?: boolean;
  /** sgdStep: torch.optim.SGD's momentum, dampening, nesterov. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** prepareGrads: 1/(accumulation steps · loss scale). */
  unscale?: number;
  /** clipGradNorm, prepareGrads: maxNorm as a fraction of the true norm (< 1 clips); 0 = no clipping. */
  maxNormFraction?: number;
  /** prepareGrads: a value planted in the last tensor (NaN, Infinity, or a huge finite number). */
  plant?: number;
  alpha?: number;
}

const SIZES = [1, 3, 17, 129, 70_001];
const TOL_ADAM = { atol: 1e-6, rtol: 1e-5 };
const TOL_NORM = { atol: 0, rtol: 1e-6 };
// grad_scale is stored as fp32: one rounding of unscale·coef (2^-24 relative) on top of the norm.
const TOL_SCALE = { atol: 0, rtol: 2e-6 };

export const optimizerCases: OptimizerCase[] = [
  { op: "adamwStep", name: "step 1", sizes: SIZES, step: 1, gradScale: 1, tol: TOL_ADAM },
  { op: "adamwStep", name: "step 10, gradScale 0.5", sizes: SIZES, step: 10, gradScale: 0.5, tol: TOL_ADAM },
  { op: "adamwStep", name: "one tensor of 17", sizes: [17], step: 3, gradScale: 1, tol: TOL_ADAM },
  { op: "adamwStep", name: "found_inf skips", sizes: SIZES, step: 4, gradScale: 1, foundInf: true },
  { op: "lionStep", name: "gradScale 1", sizes: SIZES, step: 1, gradScale: 1, tol: TOL_ADAM },
  { op: "lionStep", name: "gradScale 0.25", sizes: SIZES, step: 7, gradScale: 0.25, tol: TOL_ADAM },
  { op: "lionStep", name: "found_inf skips", sizes: SIZES, step: 2, gradScale: 1, foundInf: true },
  {
    op: "sgdStep",
    name: "plain (no momentum)",
    sizes: SIZES,
    step: 1,
    gradScale: 1,
    momentum: 0,
    tol: TOL_ADAM,
  },
  {
    op: "sgdStep",
    name: "momentum, first step",
    sizes: SIZES,
    step: 1,
    gradScale: 0.5,
    momentum: 0.9,
    tol: TOL_ADAM,
  },
  {
    op: "sgdStep",
    name: "momentum 0.9, dampening 0.1",
    sizes: SIZES,
    step: 5,
    gradScale: 1,
    momentum: 0.9,
    dampening: 0.1,
    tol: TOL_ADAM,
  },
  {
    op: "sgdStep",
    name: "nesterov",
    sizes: SIZES,
    step: 3,
    gradScale: 2,
    momentum: 0.8,
    nesterov: true,
    tol: TOL_ADAM,
  },
  {
    op: "sgdStep",
    name: "found_inf skips",
    sizes: SIZES,
    step: 3,
    gradScale: 1,
    momentum: 0.9,
    foundInf: true,
  },
  {
    op: "prepareGrads",
    name: "clips (max = norm/4)",
    sizes: SIZES,
    unscale: 1,
    maxNormFraction: 0.25,
    tol: TOL_SCALE,
  },
  {
    op: "prepareGrads",
    name: "below the limit",
    sizes: SIZES,
    unscale: 1,
    maxNormFraction: 2,
    tol: TOL_SCALE,
  },
  { op: "prepareGrads", name: "no clipping", sizes: SIZES, unscale: 1, maxNormFraction: 0, tol: TOL_SCALE },
  {
    op: "prepareGrads",
    name: "unscale 1/(4·65536), clips",
    sizes: SIZES,
    unscale: 1 / (4 * 65536),
    maxNormFraction: 0.5,
    tol: TOL_SCALE,
  },
  {
    op: "prepareGrads",
    name: "a NaN gradient",
    sizes: SIZES,
    unscale: 1,
    maxNormFraction: 0.5,
    plant: Number.NaN,
  },
  {
    op: "prepareGrads",
    name: "an Inf gradient",
    sizes: SIZES,
    unscale: 1,
    maxNormFraction: 0.5,
    plant: Number.POSITIVE_INFINITY,
  },
  {
    op: "prepareGrads",
    name: "squares past fp32 range are not Inf",
    sizes: SIZES,
    unscale: 1e-20,
    maxNormFraction: 0.5,
    plant: 3e20,
    tol: TOL_SCALE,
  },
  { op: "globalL2Norm", name: "5 tensors", sizes: SIZES, tol: TOL_NORM },
  { op: "globalL2Norm", name: "one element", sizes: [1], tol: TOL_NORM },
  { op: "clipGradNorm", name: "clips (max = norm/4)", sizes: SIZES, maxNormFraction: 0.25, tol: TOL_ADAM },
  { op: "clipGradNorm", name: "below the limit", sizes: SIZES, maxNormFraction: 2, tol: TOL_ADAM },
  { op: "scaleTensors", name: "5 tensors", sizes: SIZES, alpha: -0.75, tol: TOL_ADAM },
];
