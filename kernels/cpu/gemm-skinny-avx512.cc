// AVX-512 GEMM for M <= 8 rows (token-by-token generation: x(1..8, K) times a weight), without
// packing. With so few rows the GEMM is bound by reading B once; packing B would write and read it
// again. op(A) arrives as contiguous fp32 rows (gemm.cc copies it); B is fp32, bf16 or fp16 (widened on
// load), or bf16 A and B multiplied in pairs by vdpbf16ps where the bf16 path is "dot". Two layouts:
//   B transposed (N x K, the linear layer's weight): C[i][j] = dot(a_i, B[j]), whole rows of B read
//     from Q far-apart stretches at once (Streams below), M·Q zmm accumulators;
//   B not transposed (K x N): C[i][j0:j0+16Q] += a_i[k] * B[k][j0:j0+16Q], streaming rows of B,
//     Q = 4 up to 4 rows, 2 beyond (M·Q accumulators plus Q vectors of B stay within the 32 zmm).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

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

inline __mmask16 tail_mask(int64_t left) { return left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1); }

inline void put(float* c, float v, float alpha, float beta) { *c = beta == 0.0f ? alpha * v : alpha * v + beta * *c; }

// B transposed, rows of B (columns of C) walked as Q "streams": a thread's range [j0, j1) is cut
// into Q equal stretches and each step reads one whole row from each, the Q rows sharing every
// load of A. One core keeps more DRAM requests in flight following Q far-apart sequential streams
// than one: measured on AMD EPYC Zen 4, a 50304 x 512 fp32 B, one thread: one row after another
// 20-23 GB/s (with software prefetch 8 rows ahead 23), 2-4 streams 25-32 GB/s with no software
// prefetch (which then only costs). Adjacent rows interleaved along k are worse than one row
// (12-14 GB/s): the stretches must be far apart. The n % Q rows left over run one at a time.
template <int Q>
struct Streams {
  int64_t j0, per, rest;
  Streams(int64_t first, int64_t last) : j0(first), per((last - first) / Q), rest(first + Q * ((last - first) / Q)) {}
  int64_t row(int q, int64_t t) const { return j0 + q * per + t; }
};

// Rows ahead (in each stream) whose lines are prefetched into L2. At M >= 4 each row of B takes long
// enough to multiply that the hardware prefetcher alone falls behind; below, software prefetches
// only cost. Measured as kStreams says: M = 2, 5.9 ms without against 7.4 with; M = 4, 9.2 against 7.9.
constexpr int64_t ahead_rows(int M) { return M >= 4 ? 4 : 0; }

// Columns [j0, j1) of C for fp32 (or widened 16-bit) B: M·Q·U accumulators, U vectors of k per
// step (U > 1 keeps enough FMA chains in flight when M·Q is small).
template <int M, int Q, int U>
void skinny_bt(int64_t K, const float* a, const void* B, int64_t ldb, Src kind, float alpha, float beta, float* C,
               int64_t ldc, int64_t j0, int64_t j1) {
  const Streams<Q> st(j0, j1);
  constexpr int64_t pf_rows = ahead_rows(M);
  auto rows = [&]<int R>(const int64_t* js) {
    __m512 acc[M][R][U];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q)
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) acc[i][q][u] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 16 * U <= K; k += 16 * U) {
      __m512 b[R][U];
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q)
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) b[q][u] = load_b(B, kind, js[q] * ldb + k + 16 * u, 0xffff);
      if (pf_rows > 0)
#pragma GCC unroll 4
        for (int q = 0; q < R; ++q)
#pragma GCC unroll 4
          for (int u = 0; u < U; ++u) _mm_prefetch(b_addr(B, kind, (js[q] + pf_rows) * ldb + k + 16 * u), _MM_HINT_T1);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) {
          const __m512 av = _mm512_loadu_ps(a + i * K + k + 16 * u);
#pragma GCC unroll 4
          for (int q = 0; q < R; ++q) acc[i][q][u] = _mm512_fmadd_ps(av, b[q][u], acc[i][q][u]);
        }
    }
    for (; k < K; k += 16) {  // the last K % (16·U), 16 at a time, masked
      const __mmask16 m = tail_mask(K - k);
      __m512 b[R];
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q) b[q] = load_b(B, kind, js[q] * ldb + k, m);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m512 av = _mm512_maskz_loadu_ps(m, a + i * K + k);
#pragma GCC unroll 4
        for (int q = 0; q < R; ++q) acc[i][q][0] = _mm512_fmadd_ps(av, b[q], acc[i][q][0]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q) {
        __m512 sum = acc[i][q][0];
#pragma GCC unroll 4
        for (int u = 1; u < U; ++u) sum = _mm512_add_ps(sum, acc[i][q][u]);
        put(C + i * ldc + js[q], _mm512_reduce_add_ps(sum), alpha, beta);
      }
  };
  for (int64_t t = 0; t < st.per; ++t) {
    int64_t js[Q];
#pragma GCC unroll 4
    for (int q = 0; q < Q; ++q) js[q] = st.row(q, t);
    rows.template operator()<Q>(js);
  }
  for (int64_t j = st.rest; j < j1; ++j) rows.template operator()<1>(&j);
}

// Columns [j0, j1) of C for bf16 A and B on vdpbf16ps (32 products of bf16 pairs per instruction,
// summed in fp32): `a` is M rows of Kp >= K bf16 values, zero past K, so the masked tail of B only
// meets zeros. Products are exact; only the order of the fp32 sums differs from the widening path.
template <int M, int Q>
void skinny_bt_dot(int64_t K, const uint16_t* a, int64_t Kp, const uint16_t* B, int64_t ldb, float alpha, float beta,
                   float* C, int64_t ldc, int64_t j0, int64_t j1) {
  const Streams<Q> st(j0, j1);
  constexpr int64_t pf_rows = ahead_rows(M);
  auto rows = [&]<int R>(const int64_t* js) {
    __m512 acc[M][R];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q) acc[i][q] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 32) {
      const __mmask32 m = K - k >= 32 ? 0xffffffffu : static_cast<__mmask32>((1u << (K - k)) - 1);
      __m512bh b[R];
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q) b[q] = reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(m, B + js[q] * ldb + k));
      if (pf_rows > 0)
#pragma GCC unroll 4
        for (int q = 0; q < R; ++q) _mm_prefetch(reinterpret_cast<const char*>(B + (js[q] + pf_rows) * ldb + k), _MM_HINT_T1);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m512bh av = reinterpret_cast<__m512bh>(_mm512_loadu_si512(a + i * Kp + k));
#pragma GCC unroll 4
        for (int q = 0; q < R; ++q) acc[i][q] = _mm512_dpbf16_ps(acc[i][q], av, b[q]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 4
      for (int q = 0; q < R; ++q) put(C + i * ldc + js[q], _mm512_reduce_add_ps(acc[i][q]), alpha, beta);
  };
  for (int64_t t = 0; t < st.per; ++t) {
    int64_t js[Q];
#pragma GCC unroll 4
    for (int q = 0; q < Q; ++q) js[q] = st.row(q, t);
    rows.template operator()<Q>(js);
  }
  for (int64_t j = st.rest; j < j1; ++j) rows.template operator()<1>(&j);
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

// Streams per thread for B transposed. Measured on AMD EPYC Zen 4 over the Pythia-70M decode GEMMs
// (a 178 MiB fp32 weight set, huge pages), one thread: M = 1, 2 streams 5.1 ms, 4 streams 5.1-5.5,
// one row at a time with prefetch 7.2-7.5; M = 8 (with prefetch), 2 streams 11.8 ms, 4 streams 8.6.
constexpr int kStreams = 4;

template <int M>
void skinny_m(int64_t N, int64_t K, const float* a, const void* B, int64_t ldb, bool trans_b, Src kind, bool dot,
              float alpha, float beta, float* C, int64_t ldc) {
  constexpr int Q = M <= 4 ? 4 : 2;  // B not transposed: 16·Q columns per pass
  constexpr int U = M == 1 ? 2 : 1;  // B transposed, fp32: M·kStreams·U >= 8 chains of FMAs in flight
  if (trans_b && dot) {
    // vdpbf16ps reads A as bf16 pairs: the rows (bf16 values widened, so the top half is exact)
    // narrowed back, zero padded to a whole number of 32-wide steps.
    const int64_t Kp = (K + 31) / 32 * 32;
    thread_local std::vector<uint16_t> a16;
    a16.assign(static_cast<size_t>(M * Kp), 0);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) {
        uint32_t bits;
        std::memcpy(&bits, a + i * K + k, 4);
        a16[i * Kp + k] = static_cast<uint16_t>(bits >> 16);
      }
    const auto* b16 = static_cast<const uint16_t*>(B);
    const uint16_t* ap = a16.data();  // a16 named inside the lambda would be the worker thread's own
    parallel_for(N, 64, [&](int64_t j0, int64_t j1) {
      skinny_bt_dot<M, kStreams>(K, ap, Kp, b16, ldb, alpha, beta, C, ldc, j0, j1);
    });
    return;
  }
  // Ranges of columns per thread: multiples of 64 (whole B-not-transposed passes) keep the split exact.
  parallel_for(N, 64, [&](int64_t j0, int64_t j1) {
    if (!trans_b) skinny_bn<M, Q>(K, a, B, ldb, kind, alpha, beta, C, ldc, j0, j1);
    else skinny_bt<M, kStreams, U>(K, a, B, ldb, kind, alpha, beta, C, ldc, j0, j1);
  });
}

}  // namespace

void skinny_avx512(int64_t M, int64_t N, int64_t K, const float* a, const void* B, int64_t ldb, bool trans_b, Src kind,
                   bool dot, float alpha, float beta, float* C, int64_t ldc) {
  dot = dot && kind == Src::Bf16;
  switch (M) {
    case 1:
      return skinny_m<1>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    case 2:
      return skinny_m<2>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    case 3:
      return skinny_m<3>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    case 4:
      return skinny_m<4>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    case 5:
      return skinny_m<5>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    case 6:
      return skinny_m<6>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    case 7:
      return skinny_m<7>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
    default:
      return skinny_m<8>(N, K, a, B, ldb, trans_b, kind, dot, alpha, beta, C, ldc);
  }
}

}  // namespace neox::gemm_detail
