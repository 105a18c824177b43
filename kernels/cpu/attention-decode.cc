// Fused attention for one new query per sequence (Tq = 1: a decode step with a KV cache), fp32:
// per (batch, head), scores against the visible keys by dot products, the softmax, then the
// weighted sum of values, reading K and V in place. The tiled kernel (attention.cc) would pack Kᵀ
// tiles for a single query row and wake every thread for microseconds of work; this path runs on
// the calling thread unless the work is large. Same results as the tiled kernel up to rounding
// (the sum order differs); no dropout (inference).
#include <algorithm>
#include <cmath>

#include "attention-tiles.h"

namespace neox {

using namespace attn_tiles;

bool attention_decode_f32(float* out, float* lse, const float* q, const float* k, const float* v,
                          const float* alibi_slopes, const AttentionDims& d) {
  if (d.Tq != 1 || d.HS % 16 != 0) return false;
  const attn::IsaOps& ops = ops_for_active_isa();
  const int64_t G = d.NH / d.NKV, p = d.Tk - 1;  // p: the query's absolute position
  const int64_t first = d.window >= 0 ? std::max<int64_t>(0, p - d.window) : 0;
  const int n = static_cast<int>(p - first + 1);
  const int HS = static_cast<int>(d.HS);
  auto one = [&](int64_t it, float* s) {
    const int64_t b = it / d.NH, h = it % d.NH, kvh = h / G;
    const float* qr = q + b * d.q_sb + h * d.q_sh;
    const float* kb = k + b * d.k_sb + kvh * d.k_sh + first * d.k_st;
    ops.dot_rows(s, qr, kb, d.k_st, n, HS);
    // ALiBi bias slope·(key − query), the key at first + j
    const float slope = alibi_slopes ? alibi_slopes[h] : 0.0f;
    const float mx = ops.scale_bias_max(s, n, d.scale, slope, static_cast<float>(first - p));
    const float sum = ops.exp_sum(s, n, mx);
    float* o = out + (b * d.NH + h) * d.HS;
    ops.gemm(o, d.HS, s, n, false, v + b * d.v_sb + kvh * d.v_sh + first * d.v_st, d.v_st, 1, HS, n, false);
    ops.scale(o, HS, 1.0f / sum);
    lse[b * d.NH + h] = mx + std::log(sum);
  };
  const int64_t items = d.B * d.NH;
  if (items * n * d.HS < (int64_t{1} << 21)) {  // under ~4 MFLOP: a thread wake-up costs more
    float* s = tl_tile.get(n);
    for (int64_t it = 0; it < items; ++it) one(it, s);
  } else {
    run_items(items, n, one);
  }
  return true;
}

}  // namespace neox
