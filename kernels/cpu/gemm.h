// GEMM, row-major like cblas: C = alpha * op(A) * op(B) + beta * C.
//   op(A) is M x K (A is M x K, or K x M when trans_a), op(B) is K x N (B is K x N, or N x K when
//   trans_b), C is M x N; lda/ldb/ldc are row strides in elements.
// beta == 0 overwrites C without reading it (NaNs in C do not propagate), as in BLAS.
// Our own blocked kernels (AVX-512 12x32, AVX2 6x16, portable 4x8 tiles; under AVX-512, M <= 4
// skips packing, since B is then read once either way), multi-threaded by the runtime pool; called from inside a parallel_for range they run single-threaded (so attention
// tiles may call them per head). bf16 / f16 variants take bf16 / IEEE fp16 A and B (raw uint16
// bits) and accumulate in fp32 into an fp32 C. Bad sizes/strides throw std::invalid_argument naming the argument.
#pragma once

#include <cstdint>

namespace neox {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// batch independent GEMMs; matrix b uses A + b*stride_a, B + b*stride_b, C + b*stride_c. The
// arguments are sgemm's followed by the strides and the count (the same order as the JS API).
void sgemm_strided_batched(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                           int64_t stride_a, int64_t stride_b, int64_t stride_c, int64_t batch);

void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A, int64_t lda,
               const uint16_t* B, int64_t ldb, float beta, float* C, int64_t ldc);

void gemm_bf16_strided_batched(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                               const uint16_t* A, int64_t lda, const uint16_t* B, int64_t ldb, float beta, float* C,
                               int64_t ldc, int64_t stride_a, int64_t stride_b, int64_t stride_c, int64_t batch);

// fp16 A and B are widened to fp32 while packing (exact; F16C vcvtph2ps under AVX-512) and run on
// the fp32 tile: x86 before AVX512-FP16 has no fp16 multiply-add. Inf and NaN inputs propagate.
void gemm_f16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A, int64_t lda,
              const uint16_t* B, int64_t ldb, float beta, float* C, int64_t ldc);

void gemm_f16_strided_batched(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                              const uint16_t* A, int64_t lda, const uint16_t* B, int64_t ldb, float beta, float* C,
                              int64_t ldc, int64_t stride_a, int64_t stride_b, int64_t stride_c, int64_t batch);

// How bf16 GEMMs run under the Avx512 ISA: Dot uses vdpbf16ps (two k per instruction, fp32
// accumulation); Fp32 widens bf16 to fp32 while packing (exact) and runs the fp32 tile. Auto (the
// default, or NEOX_GEMM_BF16=dot|fp32|auto) times both once and keeps the faster for this core.
// Other ISAs always widen. Both paths accumulate in fp32; results differ only by rounding order.
enum class Bf16Path { Auto = 0, Dot = 1, Fp32 = 2 };
void set_gemm_bf16_path(Bf16Path path);
// The path bf16 GEMMs take now under the active ISA (never Auto).
Bf16Path gemm_bf16_path();

// OpenBLAS, loaded at run time with dlopen (libopenblas.so.0), for cross-checks and benchmarks.
// NEOX_BLAS=openblas makes sgemm forward to it (when it loads).
bool openblas_available();
// Why openblas_available() is false ("" when it is true).
const char* openblas_error();
// The CPU kernel OpenBLAS picked (openblas_get_corename, e.g. "SkylakeX"; OPENBLAS_CORETYPE
// overrides its detection, which falls back to "Prescott" on CPUs it does not recognise).
const char* openblas_core();
// Throws std::runtime_error when OpenBLAS is not available. threads <= 0 keeps OpenBLAS's own.
void openblas_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads);

}  // namespace neox
