// Row argmax (argmax.h). The vector paths keep, per lane and per accumulator, the largest value
// seen and its index, updating only on a strictly greater value (an ordered compare, so NaN never
// wins); the lanes are then merged taking the largest value and, among equals, the smallest
// index, which is the first occurrence in the row. Four accumulators hide the compare-and-blend
// latency. A row whose maximum is -inf (only -inf and NaN) is decided by the scalar loop, which
// also serves the tail.
#include "argmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

namespace {

// The scalar rule, from column c0 on, starting from a best value m at index i (i < 0: none yet).
int64_t scan(const float* x, int64_t c0, int64_t V, float m, int64_t i) {
  for (int64_t c = c0; c < V; ++c) {
    const float v = x[c];
    if (std::isnan(v)) continue;
    if (i < 0 || v > m) {
      m = v;
      i = c;
    }
  }
  return i < 0 ? 0 : i;
}

#if defined(__AVX512F__) || defined(__AVX2__)
#if defined(__AVX512F__)
constexpr int W = 16;
using vf = __m512;
using vi = __m512i;
inline vf load(const float* p) { return _mm512_loadu_ps(p); }
inline vi iota() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
inline vi add(vi a, int32_t b) { return _mm512_add_epi32(a, _mm512_set1_epi32(b)); }
// Lanes where x > best take x and its index.
inline void update(vf& best, vi& idx, vf x, vi at) {
  const __mmask16 gt = _mm512_cmp_ps_mask(x, best, _CMP_GT_OQ);
  best = _mm512_mask_blend_ps(gt, best, x);
  idx = _mm512_mask_blend_epi32(gt, idx, at);
}
inline void spill(float* v, int32_t* i, vf best, vi idx) {
  _mm512_storeu_ps(v, best);
  _mm512_storeu_si512(i, idx);
}
inline vf neg_inf() { return _mm512_set1_ps(-std::numeric_limits<float>::infinity()); }
#else
constexpr int W = 8;
using vf = __m256;
using vi = __m256i;
inline vf load(const float* p) { return _mm256_loadu_ps(p); }
inline vi iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
inline vi add(vi a, int32_t b) { return _mm256_add_epi32(a, _mm256_set1_epi32(b)); }
inline void update(vf& best, vi& idx, vf x, vi at) {
  const vf gt = _mm256_cmp_ps(x, best, _CMP_GT_OQ);
  best = _mm256_blendv_ps(best, x, gt);
  idx = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(idx), _mm256_castsi256_ps(at), gt));
}
inline void spill(float* v, int32_t* i, vf best, vi idx) {
  _mm256_storeu_ps(v, best);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(i), idx);
}
inline vf neg_inf() { return _mm256_set1_ps(-std::numeric_limits<float>::infinity()); }
#endif

constexpr int U = 4;  // accumulators

int64_t argmax_row(const float* x, int64_t V) {
  const int64_t body = V / (U * W) * (U * W);
  if (body == 0) return scan(x, 0, V, 0.0f, -1);
  vf best[U];
  vi idx[U];
  for (int u = 0; u < U; ++u) {
    best[u] = neg_inf();
    idx[u] = add(iota(), u * W);
  }
  vi at = iota();
  for (int64_t c = 0; c < body; c += U * W) {
    for (int u = 0; u < U; ++u) update(best[u], idx[u], load(x + c + u * W), add(at, u * W));
    at = add(at, U * W);
  }
  alignas(64) float bv[U * W];
  alignas(64) int32_t bi[U * W];
  for (int u = 0; u < U; ++u) spill(bv + u * W, bi + u * W, best[u], idx[u]);
  float m = bv[0];
  int64_t i = bi[0];
  for (int l = 1; l < U * W; ++l) {
    if (bv[l] > m || (bv[l] == m && bi[l] < i)) {
      m = bv[l];
      i = bi[l];
    }
  }
  // -inf: every element so far was -inf or NaN, and the lanes cannot tell which came first.
  if (m == -std::numeric_limits<float>::infinity()) return scan(x, 0, V, 0.0f, -1);
  return scan(x, body, V, m, i);
}
#else
int64_t argmax_row(const float* x, int64_t V) { return scan(x, 0, V, 0.0f, -1); }
#endif

}  // namespace

void argmax_rows_f32(int32_t* out, const float* inp, int64_t R, int64_t V) {
  // A row of 50304 takes ~2 µs from cache: split only past ~512K elements a range, or the pool
  // hand-off costs more than the rows (8 such rows ran at 2.3 µs a row alone, 4.2 on two threads).
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 19) / V);
  parallel_for(R, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) out[r] = static_cast<int32_t>(argmax_row(inp + r * V, V));
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void argmax_rows_f32(int32_t* out, const float* inp, int64_t R, int64_t V) {
  NEOX_DISPATCH(argmax_rows_f32, out, inp, R, V);
}
}  // namespace neox
#endif
