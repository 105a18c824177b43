// The attention inner loops written once over a vector-traits class V, instantiated by
// attention.cc (scalar), attention-avx2.cc and attention-avx512.cc, each compiled for its ISA.
// V provides: vec, W (lanes), MR × NV (register tile: MR rows × NV vectors of C accumulators),
// load, store, set1, zero, fmadd, mul, sub, max, hsum, hmax, exp, exp2, iota. The dropout mask is plain
// integer code (attention-dropout.h) that each ISA's compiler flags vectorise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "attention-dropout.h"
#include "attention-isa.h"

namespace neox::attn {

// One MR×(NV·W) block of C += A·B, accumulators held in registers for the whole k loop.
template <class V, int MR, int NV, bool AT>
inline void micro_tile(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb,
                       int k, bool accumulate) {
  using vec = typename V::vec;
  // The unroll pragmas keep acc in registers at any optimisation level.
  vec acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) acc[i][j] = accumulate ? V::load(c + i * ldc + j * V::W) : V::zero();
  for (int p = 0; p < k; ++p) {
    vec bv[NV];
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) bv[j] = V::load(b + p * ldb + j * V::W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const vec ai = V::set1(AT ? a[p * lda + i] : a[i * lda + p]);
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = V::fmadd(ai, bv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) V::store(c + i * ldc + j * V::W, acc[i][j]);
}

// The last m % MR rows of a column block.
template <class V, int R, int NV, bool AT>
inline void micro_rows(int r, float* c, int64_t ldc, const float* a, int64_t lda, const float* b,
                       int64_t ldb, int k, bool accumulate) {
  if (r == R) {
    micro_tile<V, R, NV, AT>(c, ldc, a, lda, b, ldb, k, accumulate);
  } else if constexpr (R > 1) {
    micro_rows<V, R - 1, NV, AT>(r, c, ldc, a, lda, b, ldb, k, accumulate);
  }
}

template <class V, int NV, bool AT>
inline void gemm_block(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int m,
                       int k, bool accumulate) {
  int i = 0;
  for (; i + V::MR <= m; i += V::MR) {
    const float* ai = AT ? a + i : a + i * lda;
    micro_tile<V, V::MR, NV, AT>(c + i * ldc, ldc, ai, lda, b, ldb, k, accumulate);
  }
  if (i < m) {
    const float* ai = AT ? a + i : a + i * lda;
    micro_rows<V, V::MR - 1, NV, AT>(m - i, c + i * ldc, ldc, ai, lda, b, ldb, k, accumulate);
  }
}

// Column blocks narrower than NV vectors (n is a multiple of 16, which may be fewer lanes than
// one full block on wide ISAs).
template <class V, int NV, bool AT>
inline void gemm_tail(int nv, float* c, int64_t ldc, const float* a, int64_t lda, const float* b,
                      int64_t ldb, int m, int k, bool accumulate) {
  if (nv == NV) {
    gemm_block<V, NV, AT>(c, ldc, a, lda, b, ldb, m, k, accumulate);
  } else if constexpr (NV > 1) {
    gemm_tail<V, NV - 1, AT>(nv, c, ldc, a, lda, b, ldb, m, k, accumulate);
  }
}

template <class V, bool AT>
inline void gemm_impl(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int m,
                      int n, int k, bool accumulate) {
  constexpr int NB = V::NV * V::W;
  int j = 0;
  for (; j + NB <= n; j += NB) gemm_block<V, V::NV, AT>(c + j, ldc, a, lda, b + j, ldb, m, k, accumulate);
  if (j < n) {
    gemm_tail<V, V::NV - 1, AT>((n - j) / V::W, c + j, ldc, a, lda, b + j, ldb, m, k, accumulate);
  }
}

template <class V>
void gemm(float* c, int64_t ldc, const float* a, int64_t lda, bool a_trans, const float* b, int64_t ldb,
          int m, int n, int k, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) c[i * ldc + j] = 0.0f;
    return;
  }
  if (a_trans) {
    gemm_impl<V, true>(c, ldc, a, lda, b, ldb, m, n, k, accumulate);
  } else {
    gemm_impl<V, false>(c, ldc, a, lda, b, ldb, m, n, k, accumulate);
  }
}

// One block of r <= MR rows (AT: r columns of the stored A) by nv <= NV vectors of columns.
template <class V, int NV, bool AT>
inline void row_block(int nv, int r, float* c, int64_t ldc, const float* a, int64_t lda, const float* b,
                      int64_t ldb, int k, bool accumulate) {
  if (nv == NV) {
    micro_rows<V, V::MR, NV, AT>(r, c, ldc, a, lda, b, ldb, k, accumulate);
  } else if constexpr (NV > 1) {
    row_block<V, NV - 1, AT>(nv, r, c, ldc, a, lda, b, ldb, k, accumulate);
  }
}

// gemm for a tile that the causal diagonal crosses: a block of rows [i, i + r) reads or writes
// only what those rows can see (Band in attention-isa.h), so the all-masked half of a diagonal
// tile costs nothing.
template <class V, bool AT>
void gemm_band_impl(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int m,
                    int n, int k, bool accumulate, Band band, int64_t delta) {
  constexpr int NB = V::NV * V::W;
  for (int i = 0; i < m; i += V::MR) {
    const int r = m - i < V::MR ? m - i : V::MR;
    const int64_t reach = i + r + delta;  // rows [i, i + r) see columns (keys) < reach
    int64_t kb = 0, ke = k, cols = n;
    if (band == Band::Cols) cols = std::min<int64_t>(n, std::max<int64_t>(0, (reach + V::W - 1) / V::W * V::W));
    if (band == Band::KEnd) ke = std::min<int64_t>(k, std::max<int64_t>(0, reach));
    if (band == Band::KBegin) kb = std::min<int64_t>(k, std::max<int64_t>(0, i - delta));
    if (ke <= kb && accumulate) continue;
    const float* ai = AT ? a + kb * lda + i : a + i * lda + kb;
    const float* bk = b + kb * ldb;
    for (int64_t j = 0; j < cols; j += NB) {
      const int nv = static_cast<int>(std::min<int64_t>(NB, cols - j) / V::W);
      row_block<V, V::NV, AT>(nv, r, c + i * ldc + j, ldc, ai, lda, bk + j, ldb, static_cast<int>(ke - kb),
                              accumulate);
    }
  }
}

template <class V>
void gemm_band(float* c, int64_t ldc, const float* a, int64_t lda, bool a_trans, const float* b, int64_t ldb,
               int m, int n, int k, bool accumulate, Band band, int64_t delta) {
  if (m <= 0 || n <= 0) return;
  if (a_trans) {
    gemm_band_impl<V, true>(c, ldc, a, lda, b, ldb, m, n, k, accumulate, band, delta);
  } else {
    gemm_band_impl<V, false>(c, ldc, a, lda, b, ldb, m, n, k, accumulate, band, delta);
  }
}

// dst[c·ldd + r] = src[r·lds + c]; ISAs with an in-register 16×16 transpose (V::T16) use it on
// whole blocks.
template <class V>
void transpose(float* dst, int64_t ldd, const float* src, int64_t lds, int rows, int cols) {
  int r0 = 0;
  if constexpr (V::T16) {
    for (; r0 + 16 <= rows; r0 += 16) {
      // The source rows are far apart (a fused QKV row each): fetch the next block's early.
      for (int r = r0 + 16; r < std::min(rows, r0 + 32); ++r)
        for (int cc = 0; cc < cols; cc += 16) __builtin_prefetch(src + r * lds + cc);
      int c0 = 0;
      for (; c0 + 16 <= cols; c0 += 16) V::transpose16(dst + c0 * ldd + r0, ldd, src + r0 * lds + c0, lds);
      for (int r = r0; r < r0 + 16; ++r)
        for (int cc = c0; cc < cols; ++cc) dst[cc * ldd + r] = src[r * lds + cc];
    }
  }
  for (int r = r0; r < rows; ++r)
    for (int cc = 0; cc < cols; ++cc) dst[cc * ldd + r] = src[r * lds + cc];
}

template <class V>
float scale_bias_max(float* s, int n, float scale, float slope, float j0) {
  using vec = typename V::vec;
  const vec vs = V::set1(scale), vslope = V::set1(slope);
  vec vmax = V::set1(-INFINITY);
  int j = 0;
  for (; j + V::W <= n; j += V::W) {
    const vec pos = V::add(V::iota(), V::set1(j0 + static_cast<float>(j)));
    const vec x = V::fmadd(V::load(s + j), vs, V::mul(vslope, pos));
    V::store(s + j, x);
    vmax = V::max(vmax, x);
  }
  float m = V::hmax(vmax);
  for (; j < n; ++j) {
    const float x = s[j] * scale + slope * (j0 + static_cast<float>(j));
    s[j] = x;
    m = x > m ? x : m;
  }
  return m;
}

template <class V>
float exp_sum(float* s, int n, float m) {
  using vec = typename V::vec;
  const vec vm = V::set1(m);
  vec vsum = V::zero();
  int j = 0;
  for (; j + V::W <= n; j += V::W) {
    const vec e = V::exp(V::sub(V::load(s + j), vm));
    V::store(s + j, e);
    vsum = V::add(vsum, e);
  }
  float sum = V::hsum(vsum);
  for (; j < n; ++j) {
    const float e = std::exp(s[j] - m);
    s[j] = e;
    sum += e;
  }
  return sum;
}

template <class V>
float row_max(const float* s, int n) {
  typename V::vec vmax = V::set1(-INFINITY);
  int j = 0;
  for (; j + V::W <= n; j += V::W) vmax = V::max(vmax, V::load(s + j));
  float m = V::hmax(vmax);
  for (; j < n; ++j) m = s[j] > m ? s[j] : m;
  return m;
}

// s[j] = 2^(s[j]·c − mc), c = scale·log2(e) and mc = m·log2(e): exp(scale·s − m) with the
// score scaling folded into the exponent's one FMA (no ALiBi, so no separate scaling pass).
template <class V>
float exp2_sum(float* s, int n, float c, float mc) {
  using vec = typename V::vec;
  const vec vc = V::set1(c), vm = V::set1(-mc);
  vec vsum = V::zero();
  int j = 0;
  for (; j + V::W <= n; j += V::W) {
    const vec e = V::exp2(V::fmadd(V::load(s + j), vc, vm));
    V::store(s + j, e);
    vsum = V::add(vsum, e);
  }
  float sum = V::hsum(vsum);
  for (; j < n; ++j) {
    const float e = std::exp2(s[j] * c - mc);
    s[j] = e;
    sum += e;
  }
  return sum;
}

template <class V>
void scale_row(float* y, int n, float a) {
  const typename V::vec va = V::set1(a);
  int j = 0;
  for (; j + V::W <= n; j += V::W) V::store(y + j, V::mul(V::load(y + j), va));
  for (; j < n; ++j) y[j] *= a;
}

template <class V>
void softmax_grad(float* ds, const float* p, const float* dp, int n, float d, float scale) {
  using vec = typename V::vec;
  const vec vd = V::set1(d), vs = V::set1(scale);
  int j = 0;
  for (; j + V::W <= n; j += V::W) {
    V::store(ds + j, V::mul(V::mul(V::load(p + j), V::sub(V::load(dp + j), vd)), vs));
  }
  for (; j < n; ++j) ds[j] = p[j] * (dp[j] - d) * scale;
}

template <class V>
float dot(const float* x, const float* y, int n) {
  typename V::vec acc = V::zero();
  int j = 0;
  for (; j + V::W <= n; j += V::W) acc = V::fmadd(V::load(x + j), V::load(y + j), acc);
  float s = V::hsum(acc);
  for (; j < n; ++j) s += x[j] * y[j];
  return s;
}

template <class V>
void mul(float* z, const float* x, const float* y, int n) {
  int j = 0;
  for (; j + V::W <= n; j += V::W) V::store(z + j, V::mul(V::load(x + j), V::load(y + j)));
  for (; j < n; ++j) z[j] = x[j] * y[j];
}

// s[j] = sum_e x[e] * rows[j·ld + e] for j < n, e < len: four rows at a time, so four independent
// FMA chains and horizontal sums are in flight instead of one (the decode path's scores).
template <class V>
void dot_rows(float* s, const float* x, const float* rows, int64_t ld, int n, int len) {
  using vec = typename V::vec;
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * ld;
    vec a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
    int e = 0;
    for (; e + V::W <= len; e += V::W) {
      const vec xv = V::load(x + e);
      a0 = V::fmadd(xv, V::load(r0 + e), a0);
      a1 = V::fmadd(xv, V::load(r0 + ld + e), a1);
      a2 = V::fmadd(xv, V::load(r0 + 2 * ld + e), a2);
      a3 = V::fmadd(xv, V::load(r0 + 3 * ld + e), a3);
    }
    float t0 = V::hsum(a0), t1 = V::hsum(a1), t2 = V::hsum(a2), t3 = V::hsum(a3);
    for (; e < len; ++e) {
      t0 += x[e] * r0[e];
      t1 += x[e] * r0[ld + e];
      t2 += x[e] * r0[2 * ld + e];
      t3 += x[e] * r0[3 * ld + e];
    }
    s[j] = t0;
    s[j + 1] = t1;
    s[j + 2] = t2;
    s[j + 3] = t3;
  }
  for (; j < n; ++j) s[j] = dot<V>(x, rows + j * ld, len);
}

template <class V>
const IsaOps& make_ops() {
  static const IsaOps ops{&gemm<V>,    &gemm_band<V>, &scale_bias_max<V>, &exp_sum<V>, &scale_row<V>,
                          &softmax_grad<V>, &dot<V>, &mul<V>, &dropout_span, &transpose<V>,
                          &row_max<V>, &exp2_sum<V>, &dot_rows<V>};
  return ops;
}

}  // namespace neox::attn
