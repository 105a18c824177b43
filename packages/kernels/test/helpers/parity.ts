// The shape of a parity case, shared by every test/cases/<group>.ts table (E1/E2 use it too).
// A table is any exported array of objects with an `op` field; test/coverage.native.test.ts reads
// every table and requires each name in the addon's ops() to appear as some case's `op`.
import type { Tolerance } from "./native";

export interface ParityCase {
  /** The native function this case exercises, exactly as ops() lists it. */
  op: string;
  /** A short label for the test name, e.g. "M=17 N=3 K=129 transA". */
  name: string;
  /** Allowed error against the float64 reference. */
  tol?: Tolerance;
}

/** Standard tolerances against the float64 reference. */
export const TOL = {
  /** fp32 arithmetic, short reductions. */
  f32: { atol: 1e-5, rtol: 1e-5 },
  /** bf16 storage (8-bit mantissa): one rounding of the output. */
  bf16: { atol: 1e-2, rtol: 8e-3 },
  /** Exact bit-for-bit results. */
  exact: { atol: 0, rtol: 0 },
} as const satisfies Record<string, Tolerance>;
