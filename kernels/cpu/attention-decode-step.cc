// A whole decode step of one layer in one call (attention.h, attention_decode_step): for every
// single-token row, rotary on the new q and k, the k/v append into the slot-major cache, and the
// attention of each query head over that slot's cached keys. The per-segment path in TypeScript
// (kv-cache.ts) made ~15 views and four kernel launches per sequence per layer; at batch 8 and a
// few hundred cached tokens the launches cost as much as the attention itself.
//
// The cost is reading K and V: a slot's cached positions are adjacent rows of NKV·HS floats, so
// an item (a row and some of its kv heads) walks them in blocks of positions with every head of
// the item per block, one stream through memory. Items are independent (a slot appears once per
// call, so no item reads what another writes) and run on the pool when the call is large enough to
// pay for waking it; a call with fewer rows than threads splits each row's kv heads.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "attention-tiles.h"

namespace neox {

using namespace attn_tiles;

namespace {

void fail(const std::string& what) { throw std::invalid_argument("attention_decode_step: " + what); }

// Every index is checked before anything is written, so a bad call leaves cache and out as they were.
void check(const int32_t* rows, const int32_t* slots, const int32_t* positions, const float* cos,
           const float* sin, const DecodeStepDims& d) {
  if (d.R < 0 || d.N < 0 || d.NH < 1 || d.NKV < 1 || d.HS < 1 || d.S < 0 || d.maxT < 0)
    fail("sizes R, N, S, maxT must be >= 0 and NH, NKV, HS >= 1");
  if (d.NH % d.NKV != 0)
    fail("NKV (" + std::to_string(d.NKV) + ") must divide NH (" + std::to_string(d.NH) + ")");
  auto fits = [&](const char* what, int64_t off, int64_t sh, int64_t heads) {
    if (off < 0 || sh < 0 || off + (heads - 1) * sh + d.HS > d.W)
      fail(std::string(what) + " heads at offset " + std::to_string(off) + " stride " + std::to_string(sh) +
           " do not fit in a qkv row of W = " + std::to_string(d.W));
  };
  fits("q", d.q_off, d.q_sh, d.NH);
  fits("k", d.k_off, d.k_sh, d.NKV);
  fits("v", d.v_off, d.v_sh, d.NKV);
  if (d.rot_dim != 0) {
    if (d.rot_dim < 2 || d.rot_dim % 2 != 0 || d.rot_dim > d.HS)
      fail("rot_dim must be 0 or even, >= 2 and <= HS (" + std::to_string(d.HS) + "), got " +
           std::to_string(d.rot_dim));
    if (!cos || !sin) fail("rot_dim > 0 needs the cos and sin tables");
  }
  std::vector<char> slot_seen(static_cast<size_t>(d.S), 0), row_seen(static_cast<size_t>(d.N), 0);
  for (int64_t r = 0; r < d.R; ++r) {
    const int64_t row = rows[r], slot = slots[r], p = positions[r];
    const std::string at = " (entry " + std::to_string(r) + ")";
    if (row < 0 || row >= d.N) fail("row " + std::to_string(row) + " is not in [0, " + std::to_string(d.N) + ")" + at);
    if (slot < 0 || slot >= d.S)
      fail("slot " + std::to_string(slot) + " is not in [0, " + std::to_string(d.S) + ")" + at);
    if (p < 0 || p >= d.maxT)
      fail("position " + std::to_string(p) + " is not in [0, maxT = " + std::to_string(d.maxT) + ")" + at);
    if (d.rot_dim > 0 && p >= d.n_pos)
      fail("position " + std::to_string(p) + " is past the rotary tables' " + std::to_string(d.n_pos) + " rows" + at);
    if (slot_seen[static_cast<size_t>(slot)]++) fail("slot " + std::to_string(slot) + " is listed twice" + at);
    if (row_seen[static_cast<size_t>(row)]++) fail("row " + std::to_string(row) + " is listed twice" + at);
  }
}

// GPT-NeoX rotate-half at one position, the arithmetic of rotary_forward (rotary.cc) exactly:
// y1 = x1·c − x2·s, y2 = x2·c + x1·s on the first rot_dim channels, the rest copied.
void rotate(float* y, const float* x, const float* c, const float* s, int64_t rot_dim, int64_t HS) {
  const int64_t half = rot_dim / 2;
  for (int64_t e = 0; e < half; ++e) {
    const float x1 = x[e], x2 = x[e + half];
    y[e] = x1 * c[e] - x2 * s[e];
    y[e + half] = x2 * c[e] + x1 * s[e];
  }
  for (int64_t e = rot_dim; e < HS; ++e) y[e] = x[e];
}

}  // namespace

void attention_decode_step(float* out, float* cache_k, float* cache_v, const float* qkv, const int32_t* rows,
                           const int32_t* slots, const int32_t* positions, const float* cos, const float* sin,
                           const float* alibi_slopes, const DecodeStepDims& d) {
  check(rows, slots, positions, cos, sin, d);
  if (d.R == 0) return;
  const attn::IsaOps& ops = ops_for_active_isa();
  const int64_t G = d.NH / d.NKV, HS = d.HS, half = d.rot_dim / 2;
  const int64_t kv_row = d.NKV * HS;  // one position of one slot in the cache
  const int64_t out_row = d.NH * HS;
  const bool whole = HS % 16 == 0;  // ops.gemm writes whole 16-float vectors of the output row
  int64_t most = 0, work = 0;       // the longest key span; the keys·channels read over the call
  for (int64_t r = 0; r < d.R; ++r) {
    const int64_t p = positions[r];
    const int64_t n = d.window >= 0 ? std::min(p, d.window) + 1 : p + 1;
    most = std::max(most, n);
    work += n;
  }
  work *= d.NH * HS;
  // Below ~256K multiply-adds (1 MB of K and V, tens of µs) the calling thread alone is faster:
  // at batch 1 and ~200 cached tokens a Pythia-70M layer measured 80 µs alone and 100 µs split
  // over two threads (2 cores, shared).
  const int64_t threads = work < (int64_t{1} << 18) ? 1 : num_threads();
  // Items: a row's kv heads in `chunks` parts, enough items for every thread when rows are few.
  const int64_t chunks = std::min<int64_t>(d.NKV, std::max<int64_t>(1, (threads + d.R - 1) / d.R));
  const int64_t most_heads = (d.NKV + chunks - 1) / chunks * G;
  // Scratch: the scores of each query head of an item, then their rotated queries.
  const int64_t srow = round16(most), qrow = round16(HS);
  const int64_t scratch = most_heads * (srow + qrow);
  auto one = [&](int64_t it, float* sc) {
    const int64_t r = it / chunks, c = it % chunks;
    const int64_t g0 = c * d.NKV / chunks, g1 = (c + 1) * d.NKV / chunks;
    const int64_t h0 = g0 * G, nh = (g1 - g0) * G;
    const int64_t row = rows[r], slot = slots[r], p = positions[r];
    const float* src = qkv + row * d.W;
    const float* cs = cos ? cos + p * half : nullptr;
    const float* sn = sin ? sin + p * half : nullptr;
    float* kp = cache_k + (slot * d.maxT + p) * kv_row;
    float* vp = cache_v + (slot * d.maxT + p) * kv_row;
    for (int64_t g = g0; g < g1; ++g) {
      if (half > 0) rotate(kp + g * HS, src + d.k_off + g * d.k_sh, cs, sn, d.rot_dim, HS);
      else std::copy_n(src + d.k_off + g * d.k_sh, HS, kp + g * HS);
      std::copy_n(src + d.v_off + g * d.v_sh, HS, vp + g * HS);
    }
    float* s = sc;                      // (nh, srow) scores
    float* q = sc + most_heads * srow;  // (nh, qrow) queries, rotated when rotary is on
    for (int64_t i = 0; i < nh; ++i) {
      const float* qh = src + d.q_off + (h0 + i) * d.q_sh;
      if (half > 0) rotate(q + i * qrow, qh, cs, sn, d.rot_dim, HS);
      else std::copy_n(qh, HS, q + i * qrow);
    }
    const int64_t first = d.window >= 0 ? std::max<int64_t>(0, p - d.window) : 0;
    const int n = static_cast<int>(p - first + 1);
    const float* kb = cache_k + (slot * d.maxT + first) * kv_row;
    const float* vb = cache_v + (slot * d.maxT + first) * kv_row;
    // Keys in blocks of kBlock positions, every head of the item per block: the block's cache rows
    // (all heads of a position are adjacent) are read as one stream and stay in L1/L2 while each
    // head takes its part, rather than each head striding over the whole span on its own.
    constexpr int kBlock = 32;
    for (int j0 = 0; j0 < n; j0 += kBlock) {
      const int nb = std::min(kBlock, n - j0);
      for (int64_t i = 0; i < nh; ++i) {
        const int64_t g = (h0 + i) / G;
        ops.dot_rows(s + i * srow + j0, q + i * qrow, kb + j0 * kv_row + g * HS, kv_row, nb, static_cast<int>(HS));
      }
    }
    for (int64_t i = 0; i < nh; ++i) {
      const int64_t h = h0 + i;
      float* si = s + i * srow;
      // ALiBi bias slope·(key − query) for the key at first + j
      const float slope = alibi_slopes ? alibi_slopes[h] : 0.0f;
      const float mx = ops.scale_bias_max(si, n, d.scale, slope, static_cast<float>(first - p));
      ops.scale(si, n, 1.0f / ops.exp_sum(si, n, mx));  // the probabilities
    }
    for (int j0 = 0; j0 < n; j0 += kBlock) {
      const int nb = std::min(kBlock, n - j0);
      for (int64_t i = 0; i < nh; ++i) {
        const int64_t h = h0 + i, g = h / G;
        const float* pi = s + i * srow + j0;
        const float* vj = vb + j0 * kv_row + g * HS;
        float* o = out + row * out_row + h * HS;
        if (whole) {
          ops.gemm(o, HS, pi, nb, false, vj, kv_row, 1, static_cast<int>(HS), nb, j0 > 0);
        } else {
          if (j0 == 0) std::fill_n(o, HS, 0.0f);
          for (int j = 0; j < nb; ++j)
            for (int64_t e = 0; e < HS; ++e) o[e] += pi[j] * vj[j * kv_row + e];
        }
      }
    }
  };
  const int64_t items = d.R * chunks;
  if (threads == 1 || items == 1) {
    float* sc = tl_tile.get(scratch);
    for (int64_t it = 0; it < items; ++it) one(it, sc);
  } else {
    run_items(items, scratch, one);
  }
}

}  // namespace neox
