// AVX-512 decode stretch (attention-decode-stretch.h), HS a multiple of 16. The cost is reading
// the cache, so the loops are shaped for the memory system, not the arithmetic (at 25 GB/s a core
// has ~150 cycles per KiB and the dots need ~16):
// - Each position's K (and V) row, all NKV heads of it, is read front to back in one pass with
//   every query head's dot taken from it, instead of one strided pass per head.
// - The stretch is cut into kStreams runs walked side by side (position i of each run per step):
//   one core keeps more DRAM requests in flight following several far-apart sequential streams
//   than one (the same observation as the skinny GEMM, gemm-skinny-avx512.cc).
// Software prefetch of each run's row a few positions ahead (2, 4, 8) was tried and lost: 15-18
// GB/s on one thread against 27-30 without (AMD EPYC Zen 4); the hardware prefetchers already
// follow the runs, and 32 prefetches per 2 KiB row only crowd the miss queue.
// The scores of a head are stored in position order, so the softmax loops of the ISA table apply.
// A bf16 cache is read 16 values at a time and widened in registers (zero-extend to 32 bits and
// shift into the high half, as gemm-skinny-avx512.cc's load_b): half the bytes of an fp32 cache.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "attention-decode-stretch.h"

namespace neox::decode {
namespace {

constexpr int kStreams = 4;
// Runs shorter than this are not worth splitting: the stretch is walked as one stream.
constexpr int kMinRun = 8;

// [Σa, Σb, Σc, Σd] of four vectors.
inline __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 x0 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  const __m256 x1 = _mm256_add_ps(_mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1));
  const __m256 x2 = _mm256_add_ps(_mm512_castps512_ps256(c), _mm512_extractf32x8_ps(c, 1));
  const __m256 x3 = _mm256_add_ps(_mm512_castps512_ps256(d), _mm512_extractf32x8_ps(d, 1));
  // per 128-bit lane: [a, b, c, d] partial sums of that lane's four elements
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(x0, x1), _mm256_hadd_ps(x2, x3));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// 16 cached values from p, fp32 or bf16 bits.
inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 load16(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Scores of positions base + t·c + i for t < NS, i < len, every head.
template <int NS, class T>
void k_pass(const Stretch& a, int base, int c, int len) {
  const T* k = static_cast<const T*>(a.k);
  for (int i = 0; i < len; ++i) {
    const T* kr[NS];
    for (int t = 0; t < NS; ++t) kr[t] = k + static_cast<int64_t>(base + t * c + i) * a.kv_row;
    for (int64_t h = 0; h < a.NH; ++h) {
      const float* qh = a.q + h * a.qrow;
      const int64_t go = h / a.G * a.HS;
      __m512 acc[NS];
      for (int t = 0; t < NS; ++t) acc[t] = _mm512_setzero_ps();
      for (int64_t e = 0; e < a.HS; e += 16) {
        const __m512 q = _mm512_loadu_ps(qh + e);
        for (int t = 0; t < NS; ++t) acc[t] = _mm512_fmadd_ps(q, load16(kr[t] + go + e), acc[t]);
      }
      float* sh = a.s + h * a.srow + base + i;
      if constexpr (NS == 4) {
        alignas(16) float r[4];
        _mm_store_ps(r, hsum4(acc[0], acc[1], acc[2], acc[3]));
        for (int t = 0; t < 4; ++t) sh[t * c] = r[t];
      } else {
        for (int t = 0; t < NS; ++t) sh[t * c] = _mm512_reduce_add_ps(acc[t]);
      }
    }
  }
}

// o_h += p_hj·V[j, g(h)] over the same positions as k_pass.
template <int NS, class T>
void v_pass(const Stretch& a, int base, int c, int len) {
  const T* v = static_cast<const T*>(a.v);
  for (int i = 0; i < len; ++i) {
    const T* vr[NS];
    for (int t = 0; t < NS; ++t) vr[t] = v + static_cast<int64_t>(base + t * c + i) * a.kv_row;
    for (int64_t h = 0; h < a.NH; ++h) {
      const float* sh = a.s + h * a.srow + base + i;
      const int64_t go = h / a.G * a.HS;
      __m512 p[NS];
      for (int t = 0; t < NS; ++t) p[t] = _mm512_set1_ps(sh[t * c]);
      float* oh = a.o + h * a.HS;
      for (int64_t e = 0; e < a.HS; e += 16) {
        __m512 acc = _mm512_loadu_ps(oh + e);
        for (int t = 0; t < NS; ++t) acc = _mm512_fmadd_ps(p[t], load16(vr[t] + go + e), acc);
        _mm512_storeu_ps(oh + e, acc);
      }
    }
  }
}

template <class T>
void stretch(const Stretch& a, const attn::IsaOps& ops) {
  // kStreams runs of c positions, then the n − kStreams·c left over as one stream.
  const int c = a.n >= kStreams * kMinRun ? a.n / kStreams : 0;
  const int tail = kStreams * c;
  k_pass<kStreams, T>(a, 0, c, c);
  k_pass<1, T>(a, tail, 0, a.n - tail);
  for (int64_t h = 0; h < a.NH; ++h) {
    float* sh = a.s + h * a.srow;
    const float slope = a.slopes ? a.slopes[h] : 0.0f;
    a.m[h] = ops.scale_bias_max(sh, a.n, a.scale, slope, a.bias0);
    a.l[h] = ops.exp_sum(sh, a.n, a.m[h]);
  }
  std::fill_n(a.o, a.NH * a.HS, 0.0f);
  v_pass<kStreams, T>(a, 0, c, c);
  v_pass<1, T>(a, tail, 0, a.n - tail);
}

}  // namespace

void stretch_avx512(const Stretch& a, const attn::IsaOps& ops) {
  if (a.bf16) stretch<uint16_t>(a, ops);
  else stretch<float>(a, ops);
}

}  // namespace neox::decode
