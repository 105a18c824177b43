// Float64 reference GEMM (row-major, cblas semantics): C = alpha * op(A) * op(B) + beta * C, with
// op(A) M x K read from A at (i, k) -> transA ? A[k*lda + i] : A[i*lda + k], op(B) K x N read from B
// at (k, j) -> transB ? B[j*ldb + k] : B[k*ldb + j]. beta = 0 does not read C (BLAS rule).
// gemmF16 takes fp16 bits, decoded exactly (Inf and NaN included) before the float64 product.
import { f16ToF64 } from "./convert";

export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
  offA = 0,
  offB = 0,
  offC = 0,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = A[offA + (transA ? k * lda + i : i * lda + k)]!;
        const b = B[offB + (transB ? j * ldb + k : k * ldb + j)]!;
        s += a * b;
      }
      const c = offC + i * ldc + j;
      C[c] = beta === 0 ? alpha * s : alpha * s + beta * C[c]!;
    }
  }
}

/** `batch` GEMMs; matrix b starts at b*strideA / b*strideB / b*strideC. */
export function gemmStridedBatched(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
  strideA: number,
  strideB: number,
  strideC: number,
  batch: number,
): void {
  for (let b = 0; b < batch; b++) {
    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, b * strideA, b * strideB, b * strideC);
  }
}

/** gemm on fp16 operands given as raw bits: each decoded exactly to float64 first. */
export function gemmF16(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Uint16Array,
  lda: number,
  B: Uint16Array,
  ldb: number,
  beta: number,
  C: Float64Array,
  ldc: number,
): void {
  const a = Float64Array.from(A, f16ToF64);
  const b = Float64Array.from(B, f16ToF64);
  gemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, C, ldc);
}
