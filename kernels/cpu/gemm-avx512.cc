// AVX-512 GEMM micro-kernels (compiled with the AVX-512 + BF16 flags; called only when the runtime
// ISA is Avx512). fp32: a 12 x 32 register tile (24 zmm accumulators, 2 zmm of B per k, A
// broadcast), the shape engine-notes found within a few percent of OpenBLAS. bf16: the same tile
// fed by vdpbf16ps, which multiplies bf16 pairs (k, k+1) and accumulates in fp32, two k per step.
#include <immintrin.h>

#include "gemm-internal.h"

namespace neox::gemm_detail {
namespace {

constexpr int kMr = 12, kNr = 32;

// Asks for the C tile early: it is read only after the k loop, so the misses overlap the FMAs.
inline void prefetch_c(const float* c, int64_t ldc, int m) {
  for (int r = 0; r < m; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 31), _MM_HINT_T0);
  }
}

// Writes the 12 x 32 accumulator tile to C (m rows, n columns valid) with the alpha/beta rule.
inline void store_tile(__m512 (&acc)[kMr][2], float* c, int64_t ldc, int m, int n, float alpha, float beta,
                       bool accumulate) {
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = n >= 16 ? 0xffff : static_cast<__mmask16>((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? 0xffff : n <= 16 ? 0 : static_cast<__mmask16>((1u << (n - 16)) - 1);
#pragma GCC unroll 12
  for (int r = 0; r < kMr; ++r) {
    if (r >= m) break;
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(acc[r][0], va);
    __m512 x1 = _mm512_mul_ps(acc[r][1], va);
    if (accumulate) {
      x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, cr));
      x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, cr + 16));
    } else if (beta != 0.0f) {
      x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), x0);
      x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), x1);
    }
    _mm512_mask_storeu_ps(cr, m0, x0);
    _mm512_mask_storeu_ps(cr + 16, m1, x1);
  }
}

// In-register transpose of a 16 x 16 fp32 block: r[i] holds row i on entry, column i on return.
// Three stages: 32-bit interleave, 64-bit interleave, then 128-bit lane shuffles.
inline void transpose16(__m512 (&r)[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  // Now 128-bit lane L of r[4i + e] holds rows 4i..4i+3 of column 4L + e.
  __m512 out[16];
#pragma GCC unroll 4
  for (int e = 0; e < 4; ++e) {
    const __m512 a = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88), b = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88);
    const __m512 c = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xdd), d = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xdd);
    out[e] = _mm512_shuffle_f32x4(a, b, 0x88);
    out[8 + e] = _mm512_shuffle_f32x4(a, b, 0xdd);
    out[4 + e] = _mm512_shuffle_f32x4(c, d, 0x88);
    out[12 + e] = _mm512_shuffle_f32x4(c, d, 0xdd);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = out[i];
}

inline __m512 load_row(const void* src, Src kind, int64_t offset, __mmask16 k) {
  if (kind == Src::F32) return _mm512_maskz_loadu_ps(k, static_cast<const float*>(src) + offset);
  const __m256i h = _mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(src) + offset);
  if (kind == Src::F16) return _mm512_cvtph_ps(h);  // vcvtph2ps: exact, masked-off lanes are +0
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));  // bf16 -> fp32 is exact
}

// PackRows (gemm-internal.h) by 16 x 16 transposes: 16 source rows x 16 k in, 16 k-vectors out.
void pack_rows(const void* src, int64_t ld, Src kind, int64_t row0, int64_t rows, int64_t k0, int64_t kc, int width,
               float* dst) {
  for (int64_t s = 0; s < rows; s += width) {
    float* d = dst + s * kc;
    for (int g = 0; g < width; g += 16) {
      const int lanes = width - g < 16 ? width - g : 16;
      const int64_t valid = rows - s - g;  // source rows present in this group (may be <= 0)
      const __mmask16 store_mask = static_cast<__mmask16>((1u << lanes) - 1);
      for (int64_t k = 0; k < kc; k += 16) {
        const int64_t nk = kc - k < 16 ? kc - k : 16;
        const __mmask16 km = static_cast<__mmask16>((1u << nk) - 1);
        __m512 r[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i)
          r[i] = i < valid && i < lanes ? load_row(src, kind, (row0 + s + g + i) * ld + k0 + k, km) : _mm512_setzero_ps();
        transpose16(r);
        for (int64_t i = 0; i < nk; ++i) _mm512_mask_storeu_ps(d + (k + i) * width + g, store_mask, r[i]);
      }
    }
  }
}

// PairRows by 16 x 16 transposes of 32-bit words (a pair is the word at an even k offset).
void pair_rows(const uint16_t* src, int64_t ld, int64_t row0, int64_t rows, int64_t k0, int64_t kc, int width,
               uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2, full = kc / 2;
  for (int64_t s = 0; s < rows; s += width) {
    uint32_t* d = dst + s * kp;
    for (int g = 0; g < width; g += 16) {
      const int lanes = width - g < 16 ? width - g : 16;
      const int64_t valid = rows - s - g;
      const __mmask16 store_mask = static_cast<__mmask16>((1u << lanes) - 1);
      for (int64_t p = 0; p < full; p += 16) {
        const int64_t np = full - p < 16 ? full - p : 16;
        const __mmask16 km = static_cast<__mmask16>((1u << np) - 1);
        __m512 r[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i)
          r[i] = i < valid && i < lanes
                     ? _mm512_castsi512_ps(_mm512_maskz_loadu_epi32(km, src + (row0 + s + g + i) * ld + k0 + 2 * p))
                     : _mm512_setzero_ps();
        transpose16(r);
        for (int64_t i = 0; i < np; ++i)
          _mm512_mask_storeu_epi32(d + (p + i) * width + g, store_mask, _mm512_castps_si512(r[i]));
      }
      if (full < kp) {  // odd kc: the last pair has no high half
        for (int i = 0; i < lanes; ++i)
          d[full * width + g + i] = i < valid ? src[(row0 + s + g + i) * ld + k0 + 2 * full] : 0u;
      }
    }
  }
}

// PairCols: interleave rows k and k+1, 16 columns at a time (vpermt2w).
void pair_cols(const uint16_t* src, int64_t ld, int64_t col0, int64_t cols, int64_t k0, int64_t kc, int width,
               uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2, full = kc / 2;
  alignas(64) static const uint16_t kInterleave[32] = {0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39,
                                                       8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  const __m512i idx = _mm512_load_si512(kInterleave);
  for (int64_t s = 0; s < cols; s += width) {
    uint32_t* d = dst + s * kp;
    for (int g = 0; g < width; g += 16) {
      const int lanes = width - g < 16 ? width - g : 16;
      const int64_t valid = cols - s - g;
      const int n = valid <= 0 ? 0 : valid < lanes ? static_cast<int>(valid) : lanes;
      const __mmask16 load_mask = static_cast<__mmask16>((1u << n) - 1);
      const __mmask16 store_mask = static_cast<__mmask16>((1u << lanes) - 1);
      for (int64_t p = 0; p < kp; ++p) {
        const uint16_t* lo = src + (k0 + 2 * p) * ld + col0 + s + g;
        const __m256i l = _mm256_maskz_loadu_epi16(load_mask, lo);
        const __m256i h = p < full ? _mm256_maskz_loadu_epi16(load_mask, lo + ld) : _mm256_setzero_si256();
        const __m512i w = _mm512_permutex2var_epi16(_mm512_zextsi256_si512(l), idx, _mm512_zextsi256_si512(h));
        _mm512_mask_storeu_epi32(d + p * width + g, store_mask, w);
      }
    }
  }
}

void micro_f32(int64_t kc, const void* ap, const void* bp, float* c, int64_t ldc, int m, int n, float alpha, float beta,
               bool accumulate) {
  const float* a = static_cast<const float*>(ap);
  const float* b = static_cast<const float*>(bp);
  prefetch_c(c, ldc, m);
  __m512 acc[kMr][2];
#pragma GCC unroll 12
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * kMr), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int r = 0; r < kMr; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
    a += kMr;
    b += kNr;
  }
  store_tile(acc, c, ldc, m, n, alpha, beta, accumulate);
}

void micro_bf16(int64_t kp, const void* ap, const void* bp, float* c, int64_t ldc, int m, int n, float alpha, float beta,
                bool accumulate) {
  const uint32_t* a = static_cast<const uint32_t*>(ap);
  const uint32_t* b = static_cast<const uint32_t*>(bp);
  prefetch_c(c, ldc, m);
  __m512 acc[kMr][2];
#pragma GCC unroll 12
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kp; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(b);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * kMr), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int r = 0; r < kMr; ++r) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r]));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, b0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, b1);
    }
    a += kMr;
    b += kNr;
  }
  store_tile(acc, c, ldc, m, n, alpha, beta, accumulate);
}

// Blocking measured on an AVX-512 Xeon (1 thread, thread CPU time, against OpenBLAS's SkylakeX
// kernel): KC 512 / MC 96 beat 256 / 144 by 5-15%, mostly by halving the read-modify-write passes
// over C. kc counts source k; the bf16 kernel's 512 k are 256 pair steps.
const KernelSpec kF32 = {"avx512-12x32", kMr, kNr, 512, 96, 3072, false, micro_f32, pack_rows};
const KernelSpec kBf16 = {"avx512bf16-12x32", kMr, kNr, 512, 144, 3072, true, micro_bf16, nullptr, pair_rows, pair_cols};

}  // namespace

const KernelSpec* avx512_f32_kernel() { return &kF32; }
const KernelSpec* avx512_bf16_kernel() { return &kBf16; }

}  // namespace neox::gemm_detail
