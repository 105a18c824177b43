// AVX-512 instantiation of the attention inner loops (compiled with the *-avx512.cc flags).
// Register tile 6 rows × 4 zmm (64 columns): 24 accumulators + 4 B vectors + 1 broadcast of 32.
// GCC 12 reports its own AVX-512 reduction/scalef intrinsics (_mm512_undefined_ps inside
// avx512fintrin.h) as reading uninitialised values; the warning is a known false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "attention-simd.h"

namespace neox::attn {
namespace {

struct Avx512 {
  using vec = __m512;
  static constexpr int W = 16, MR = 6, NV = 4;
  static constexpr bool T16 = true;
  // dst[c·ldd + r] = src[r·lds + c] for a 16×16 block: four butterfly stages, each swapping the
  // off-diagonal b×b sub-blocks (b = 8, 4, 2, 1) of every 2b×2b block with two-source permutes.
  static void transpose16(float* dst, int64_t ldd, const float* src, int64_t lds) {
    vec x[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r) x[r] = _mm512_loadu_ps(src + r * lds);
    stage<8>(x);
    stage<4>(x);
    stage<2>(x);
    stage<1>(x);
#pragma GCC unroll 16
    for (int c = 0; c < 16; ++c) _mm512_storeu_ps(dst + c * ldd, x[c]);
  }
  template <int B>
  static void stage(vec (&x)[16]) {
    // Row i (bit B clear) takes row i + B's elements j - B where j has bit B; row i + B takes
    // row i's elements j + B where j lacks it (indices >= 16 pick the second source).
    alignas(64) int lo[16], hi[16];
    for (int j = 0; j < 16; ++j) {
      lo[j] = (j & B) ? 16 + j - B : j;
      hi[j] = (j & B) ? 16 + j : j + B;
    }
    const __m512i ilo = _mm512_load_si512(lo), ihi = _mm512_load_si512(hi);
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      if (i & B) continue;
      const vec a = x[i], b = x[i + B];
      x[i] = _mm512_permutex2var_ps(a, ilo, b);
      x[i + B] = _mm512_permutex2var_ps(a, ihi, b);
    }
  }
  static vec load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, vec v) { _mm512_storeu_ps(p, v); }
  static vec set1(float x) { return _mm512_set1_ps(x); }
  static vec zero() { return _mm512_setzero_ps(); }
  static vec fmadd(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
  static vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
  static vec mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
  static vec sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
  static vec max(vec a, vec b) { return _mm512_max_ps(a, b); }
  static float hsum(vec a) { return _mm512_reduce_add_ps(a); }
  static float hmax(vec a) { return _mm512_reduce_max_ps(a); }
  static vec iota() { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  // exp by range reduction x = n·ln2 + r and a degree-6 polynomial for exp(r) on |r| <= ln2/2
  // (Cephes expf coefficients); 2^n applied with scalef, which flushes large negative n to 0.
  static vec exp(vec x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.3762626647949f));
    const vec n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    vec r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    vec p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
  }
  // 2^x for x <= 0: x = n + f, |f| <= 1/2, 2^f by its Taylor series to degree 7 (relative error
  // below 1e-8 on that range), then scalef; x is clamped at -150, where 2^x is already 0.
  static vec exp2(vec x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-150.0f));
    const vec n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const vec f = _mm512_sub_ps(x, n);
    vec p = _mm512_set1_ps(1.5252733804059841e-5f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.5403530393381608e-4f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
  }
};

}  // namespace

const IsaOps& ops_avx512() { return make_ops<Avx512>(); }

}  // namespace neox::attn
