// AVX-512 GEMM for M <= 8 rows (token-by-token generation: x(1..8, K) times a weight), without
// packing. With so few rows the GEMM is bound by reading B once; packing B would write and read it
// again. op(A) arrives as contiguous fp32 rows (gemm.cc copies it); B is fp32, bf16 or fp16 (widened on
// load). Two layouts:
//   B transposed (N x K, the linear layer's weight): C[i][j] = dot(a_i, B[j]), one row of B read
//     straight through at a time with the next rows prefetched, M·U zmm accumulators;
//   B not transposed (K x N): C[i][j0:j0+16Q] += a_i[k] * B[k][j0:j0+16Q], streaming rows of B,
//     Q = 4 up to 4 rows, 2 beyond (M·Q accumulators plus Q vectors of B stay within the 32 zmm).
#include <immintrin.h>

#include <algorithm>

#include "gemm-internal.h"
#include "runtime.h"


namespace neox::gemm_detail {
namespace {

inline __m512 load_b(const void* b, Src kind, int64_t offset, __mmask16 k) {
  if (kind == Src::F32) return _mm512_maskz_loadu_ps(k, static_cast<const float*>(b) + offset);
  const __m256i h = _mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(b) + offset);
  if (kind == Src::F16) return _mm512_cvtph_ps(h);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

inline const char* b_addr(const void* b, Src kind, int64_t offset) {
  return static_cast<const char*>(b) + offset * (kind == Src::F32 ? 4 : 2);
}

// Rows of B (columns of C) ahead whose lines are prefetched. With one row streamed at a time
// (2 KiB for K = 512) the next rows' requests must be in flight while this one is summed; the
// hardware prefetcher alone keeps too few. Into L2, not L1: 8 rows of 2 KiB would push the rows
// of A out of L1. Measured on AMD EPYC Zen 4, a 50304 x 512 fp32 B: one thread, 4 rows
// interleaved 15-16 GB/s, one row at a time with this prefetch 25 GB/s; 2 threads at M = 8,
// prefetching into L1 5.6-5.8 ms, into L2 3.8-4.8 ms.
constexpr int64_t kAheadRows = 8;

inline __mmask16 tail_mask(int64_t left) { return left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1); }

inline void put(float* c, float v, float alpha, float beta) { *c = beta == 0.0f ? alpha * v : alpha * v + beta * *c; }

// Columns [j0, j1) of C, B transposed (row j of B is column j of op(B)): one row of B at a time,
// read straight through (U vectors per step, M·U accumulators), reduced to M sums at its end.
template <int M, int U>
void skinny_bt(int64_t K, const float* a, const void* B, int64_t ldb, Src kind, float alpha, float beta, float* C,
               int64_t ldc, int64_t j0, int64_t j1) {
  const int64_t step = 16 * U, full = K / step * step;
  for (int64_t j = j0; j < j1; ++j) {
    __m512 acc[M][U];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) acc[i][u] = _mm512_setzero_ps();
    const int64_t row = j * ldb, ahead = std::min(j + kAheadRows, j1 - 1) * ldb;
    int64_t k = 0;
    for (; k < full; k += step) {
      __m512 b[U];
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) b[u] = load_b(B, kind, row + k + 16 * u, 0xffff);
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) _mm_prefetch(b_addr(B, kind, ahead + k + 16 * u), _MM_HINT_T1);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) acc[i][u] = _mm512_fmadd_ps(_mm512_loadu_ps(a + i * K + k + 16 * u), b[u], acc[i][u]);
    }
    for (; k < K; k += 16) {  // the last K % (16·U), 16 at a time, masked
      const __mmask16 m = tail_mask(K - k);
      const __m512 b = load_b(B, kind, row + k, m);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) acc[i][0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i * K + k), b, acc[i][0]);
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      __m512 sum = acc[i][0];
#pragma GCC unroll 4
      for (int u = 1; u < U; ++u) sum = _mm512_add_ps(sum, acc[i][u]);
      put(C + i * ldc + j, _mm512_reduce_add_ps(sum), alpha, beta);
    }
  }
}

// Columns [j0, j1) of C, B transposed, Q rows of B at a time sharing each load of A: for M·K too
// large for A to stay in L1 beside the rows of B.
template <int M, int Q>
void skinny_bt_grouped(int64_t K, const float* a, const void* B, int64_t ldb, Src kind, float alpha, float beta, float* C,
               int64_t ldc, int64_t j0, int64_t j1) {
  int64_t j = j0;
  for (; j + Q <= j1; j += Q) {
    __m512 acc[M][Q];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) acc[i][q] = _mm512_setzero_ps();
    // The next group's rows are asked for now (kAheadRows above says why).
    const int64_t ahead = std::min(j + Q, j1 - Q);
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 m = tail_mask(K - k);
      __m512 b[Q];
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) b[q] = load_b(B, kind, (j + q) * ldb + k, m);
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) _mm_prefetch(b_addr(B, kind, (ahead + q) * ldb + k), _MM_HINT_T1);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m512 av = _mm512_maskz_loadu_ps(m, a + i * K + k);
#pragma GCC unroll 4
        for (int q = 0; q < Q; ++q) acc[i][q] = _mm512_fmadd_ps(av, b[q], acc[i][q]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) put(C + i * ldc + j + q, _mm512_reduce_add_ps(acc[i][q]), alpha, beta);
  }
  for (; j < j1; ++j) {
    __m512 acc[M];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 m = tail_mask(K - k);
      const __m512 b = load_b(B, kind, j * ldb + k, m);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) acc[i] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i * K + k), b, acc[i]);
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) put(C + i * ldc + j, _mm512_reduce_add_ps(acc[i]), alpha, beta);
  }
}

// Columns [j0, j1) of C, B not transposed; 16·Q columns (Q zmm) per pass over K.
template <int M, int Q>
void skinny_bn(int64_t K, const float* a, const void* B, int64_t ldb, Src kind, float alpha, float beta, float* C,
               int64_t ldc, int64_t j0, int64_t j1) {
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  for (int64_t j = j0; j < j1; j += 16 * Q) {
    __mmask16 m[Q];
#pragma GCC unroll 4
    for (int q = 0; q < Q; ++q) m[q] = j + 16 * q < j1 ? tail_mask(j1 - j - 16 * q) : 0;
    __m512 acc[M][Q];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) acc[i][q] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; ++k) {
      __m512 b[Q];
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) b[q] = load_b(B, kind, k * ldb + j + 16 * q, m[q]);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m512 av = _mm512_set1_ps(a[i * K + k]);
#pragma GCC unroll 4
        for (int q = 0; q < Q; ++q) acc[i][q] = _mm512_fmadd_ps(av, b[q], acc[i][q]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) {
        float* c = C + i * ldc + j + 16 * q;
        __m512 x = _mm512_mul_ps(acc[i][q], va);
        if (beta != 0.0f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m[q], c), x);
        _mm512_mask_storeu_ps(c, m[q], x);
      }
    }
  }
}

template <int M>
void skinny_m(int64_t N, int64_t K, const float* a, const void* B, int64_t ldb, bool trans_b, Src kind, float alpha,
              float beta, float* C, int64_t ldc) {
  constexpr int Q = M <= 4 ? 4 : 2;      // B not transposed: 16·Q columns per pass
  constexpr int U = M >= 4 ? 1 : 4 / M;  // B transposed: M·U >= 4 chains of FMAs in flight
  // Ranges of columns per thread: multiples of 64 (whole B-not-transposed passes) keep the split exact.
  // Row at a time while the M rows of A fit in L1 beside the streamed row of B (up to 16 KiB),
  // else Q rows of B share each load of A (measured: 512 x 2048 at M = 8, 137 us against 233).
  const bool by_row = M <= 2 || M * K <= 4096;
  parallel_for(N, 64, [&](int64_t j0, int64_t j1) {
    if (!trans_b) skinny_bn<M, Q>(K, a, B, ldb, kind, alpha, beta, C, ldc, j0, j1);
    else if (by_row) skinny_bt<M, U>(K, a, B, ldb, kind, alpha, beta, C, ldc, j0, j1);
    else skinny_bt_grouped<M, Q>(K, a, B, ldb, kind, alpha, beta, C, ldc, j0, j1);
  });
}

}  // namespace

void skinny_avx512(int64_t M, int64_t N, int64_t K, const float* a, const void* B, int64_t ldb, bool trans_b, Src kind,
                   float alpha, float beta, float* C, int64_t ldc) {
  switch (M) {
    case 1:
      return skinny_m<1>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    case 2:
      return skinny_m<2>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    case 3:
      return skinny_m<3>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    case 4:
      return skinny_m<4>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    case 5:
      return skinny_m<5>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    case 6:
      return skinny_m<6>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    case 7:
      return skinny_m<7>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
    default:
      return skinny_m<8>(N, K, a, B, ldb, trans_b, kind, alpha, beta, C, ldc);
  }
}

}  // namespace neox::gemm_detail
