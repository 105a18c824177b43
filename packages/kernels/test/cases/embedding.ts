// Parity cases for the embedding kernels, run by test/embedding.native.test.ts under every ISA.
// How to add a case: one line with the op name and (N tokens, C channels, V table rows); ids are
// drawn uniformly from [0, V), so N > V repeats ids (the scatter-add must sum them).
import { type ParityCase, TOL } from "../helpers/parity";

export interface EmbeddingCase extends ParityCase {
  N: number;
  C: number;
  V: number;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 5],
  [17, 129, 3],
  [129, 3, 17],
  [1001, 64, 50],
];

export const embeddingCases: EmbeddingCase[] = SHAPES.flatMap(([N, C, V]) => [
  { op: "embeddingForward", name: `N=${N} C=${C} V=${V}`, N, C, V, tol: TOL.exact },
  { op: "embeddingBackward", name: `N=${N} C=${C} V=${V}`, N, C, V, tol: { atol: 1e-5, rtol: 1e-5 } },
]);
