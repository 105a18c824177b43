// GEMM (kernels/cpu/gemm.h), row-major like cblas: C = alpha·op(A)·op(B) + beta·C with op(A)
// M×K and op(B) K×N; lda/ldb/ldc are row strides in elements. beta = 0 overwrites C unread.

import { declareKernels, type Signature } from "./kernel";

const operands = (elem: "f32" | "bf16" | "f16") =>
  ({
    transA: "flag",
    transB: "flag",
    M: "size",
    N: "size",
    K: "size",
    alpha: "scalar",
    A: `in ${elem}`,
    lda: "size",
    B: `in ${elem}`,
    ldb: "size",
    beta: "scalar",
    C: "inout f32",
    ldc: "size",
  }) as const satisfies Signature;

export const GEMM = declareKernels({
  sgemm: operands("f32"),
  /** bf16 A and B, fp32 accumulation into fp32 C */
  gemmBf16: operands("bf16"),
  /** IEEE fp16 A and B (widened to fp32 while packed), fp32 accumulation into fp32 C */
  gemmF16: operands("f16"),
});
