// AVX2 + FMA GEMM micro-kernel (compiled with the AVX2 flags; called only when the runtime ISA is
// Avx2): a 6 x 16 register tile, 12 ymm accumulators, 2 ymm of B per k, A broadcast.
#include <immintrin.h>

#include "gemm-internal.h"

namespace neox::gemm_detail {
namespace {

constexpr int kMr = 6, kNr = 16;

void micro_f32(int64_t kc, const void* ap, const void* bp, float* c, int64_t ldc, int m, int n, float alpha, float beta,
               bool accumulate) {
  const float* a = static_cast<const float*>(ap);
  const float* b = static_cast<const float*>(bp);
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNr), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
    a += kMr;
    b += kNr;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  // Every loop over r is fully unrolled so acc stays in registers (an indexed acc[r] would make
  // the compiler keep the tile in memory throughout the k loop).
  if (n == kNr) {
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      if (r >= m) break;
      float* cr = c + r * ldc;
      __m256 x0 = _mm256_mul_ps(acc[r][0], va);
      __m256 x1 = _mm256_mul_ps(acc[r][1], va);
      if (accumulate) {
        x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
        x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
      } else if (beta != 0.0f) {
        x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), x0);
        x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), x1);
      }
      _mm256_storeu_ps(cr, x0);
      _mm256_storeu_ps(cr + 8, x1);
    }
    return;
  }
  // Edge tile: spill and merge element by element.
  alignas(32) float tile[kMr][kNr];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) {
    _mm256_store_ps(tile[r], acc[r][0]);
    _mm256_store_ps(tile[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < m; ++r) {
    float* cr = c + r * ldc;
    for (int j = 0; j < n; ++j) {
      float v = alpha * tile[r][j];
      if (accumulate) cr[j] += v;
      else cr[j] = beta == 0.0f ? v : v + beta * cr[j];
    }
  }
}

// KC 512 / MC 96 measured best here too (0.9-1.0x OpenBLAS's Haswell kernel vs 0.85-0.93 at 256/144).
const KernelSpec kF32 = {"avx2-6x16", kMr, kNr, 512, 96, 3072, false, micro_f32, nullptr};

}  // namespace

const KernelSpec* avx2_f32_kernel() { return &kF32; }

}  // namespace neox::gemm_detail
