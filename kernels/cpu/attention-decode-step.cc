// A whole decode step of one layer in one call (attention.h, attention_decode_step): for every
// single-token row, rotary on the new q and k, the k/v append into the slot-major cache, and the
// attention of each query head over that slot's cached keys. The per-segment path in TypeScript
// (kv-cache.ts) made ~15 views and four kernel launches per sequence per layer; at batch 8 and a
// few hundred cached tokens the launches cost as much as the attention itself.
//
// The cost is reading K and V (a slot's cached positions are adjacent rows of NKV·HS floats, each
// read once). The appends and query rotations come first, on the calling thread (a few KiB); then
// each row's keys are cut into stretches of positions (attention-decode-stretch.h), each stretch
// an item for the pool with its own unnormalised softmax, and the stretches of a row are merged
// exactly at the end (flash-decoding). A long row alone (batch 1) thus still feeds every thread,
// and no item reads what another writes: all appends are done before any stretch runs. Stretches
// run on the AVX-512 path (attention-decode-stretch-avx512.cc: 27-33 GB/s of K and V on one Zen 4
// core, against ~12 for the per-head blocked walk it replaced) when HS is whole vectors, else on
// the generic one below. A bf16 cache (d.cache_bf16) is written rounded and widened as it is read,
// so a step reads half the bytes; everything else is the fp32 path's.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "attention-decode-stretch.h"
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

// Positions per stretch at least: shorter ones cost more in per-item overhead and merging than
// another thread gains.
constexpr int64_t kMinStretch = 64;

}  // namespace

namespace decode {

void stretch_generic(const Stretch& a, const attn::IsaOps& ops) {
  // Keys in blocks of kBlock positions, every head per block: the block's cache rows stay in
  // L1/L2 while each head takes its part, rather than each head striding over the whole span.
  constexpr int kBlock = 32;
  const int n = a.n;
  // The block of nb positions from j0 as floats: the cache itself, or a bf16 cache's block
  // widened into this thread's buffer (exact; the inner loops of the ISA table take floats).
  thread_local std::vector<float> wide;
  auto block = [&](const void* base, int j0, int nb) -> const float* {
    if (!a.bf16) return static_cast<const float*>(base) + j0 * a.kv_row;
    const uint16_t* h = static_cast<const uint16_t*>(base) + j0 * a.kv_row;
    wide.resize(static_cast<size_t>(kBlock * a.kv_row));
    for (int64_t i = 0; i < nb * a.kv_row; ++i) wide[static_cast<size_t>(i)] = ld(h + i);
    return wide.data();
  };
  for (int j0 = 0; j0 < n; j0 += kBlock) {
    const int nb = std::min(kBlock, n - j0);
    const float* kb = block(a.k, j0, nb);
    for (int64_t h = 0; h < a.NH; ++h)
      ops.dot_rows(a.s + h * a.srow + j0, a.q + h * a.qrow, kb + h / a.G * a.HS, a.kv_row, nb,
                   static_cast<int>(a.HS));
  }
  for (int64_t h = 0; h < a.NH; ++h) {
    float* sh = a.s + h * a.srow;
    const float slope = a.slopes ? a.slopes[h] : 0.0f;
    a.m[h] = ops.scale_bias_max(sh, n, a.scale, slope, a.bias0);
    a.l[h] = ops.exp_sum(sh, n, a.m[h]);
  }
  const bool whole = a.HS % 16 == 0;  // ops.gemm writes whole 16-float vectors of the output row
  if (!whole) std::fill_n(a.o, a.NH * a.HS, 0.0f);
  for (int j0 = 0; j0 < n; j0 += kBlock) {
    const int nb = std::min(kBlock, n - j0);
    const float* vb = block(a.v, j0, nb);
    for (int64_t h = 0; h < a.NH; ++h) {
      const float* ph = a.s + h * a.srow + j0;
      const float* vj = vb + h / a.G * a.HS;
      float* o = a.o + h * a.HS;
      if (whole) {
        ops.gemm(o, a.HS, ph, nb, false, vj, a.kv_row, 1, static_cast<int>(a.HS), nb, j0 > 0);
      } else {
        for (int j = 0; j < nb; ++j)
          for (int64_t e = 0; e < a.HS; ++e) o[e] += ph[j] * vj[j * a.kv_row + e];
      }
    }
  }
}

}  // namespace decode

void attention_decode_step(float* out, void* cache_k, void* cache_v, const float* qkv, const int32_t* rows,
                           const int32_t* slots, const int32_t* positions, const float* cos, const float* sin,
                           const float* alibi_slopes, const DecodeStepDims& d) {
  check(rows, slots, positions, cos, sin, d);
  if (d.R == 0) return;
  const attn::IsaOps& ops = ops_for_active_isa();
  auto* stretch = &decode::stretch_generic;
#if NEOX_HAVE_X86_KERNELS
  if (active_isa() == Isa::Avx512 && d.HS % 16 == 0) stretch = &decode::stretch_avx512;
#endif
  const int64_t G = d.NH / d.NKV, HS = d.HS, half = d.rot_dim / 2;
  const int64_t kv_row = d.NKV * HS;  // one position of one slot in the cache
  const int64_t out_row = d.NH * HS;
  const int64_t qrow = round16(HS);
  // Row r attends to keys first[r] .. first[r] + count[r] − 1 (its window, or all it has).
  std::vector<int64_t> first(static_cast<size_t>(d.R)), count(static_cast<size_t>(d.R));
  int64_t total = 0;
  for (int64_t r = 0; r < d.R; ++r) {
    const int64_t p = positions[r];
    first[r] = d.window >= 0 ? std::max<int64_t>(0, p - d.window) : 0;
    count[r] = p - first[r] + 1;
    total += count[r];
  }
  // Below ~64K multiply-adds (256 KB of K and V, under 10 µs) the calling thread alone is faster
  // than waking the pool. Above it, e.g. batch 1 at ~160 cached tokens of a Pythia-70M layer (82K),
  // two stretches on two threads measured 18-19 µs against 22-24 alone (AMD EPYC Zen 4, 2 cores,
  // shared; bench/attention-decode.ts); a bound of 256K kept that case on one thread.
  const int64_t threads = total * d.NH * HS < (int64_t{1} << 16) ? 1 : num_threads();
  // Stretch length: a row whole on one thread; else about a quarter of a thread's share (items
  // are taken dynamically, so a few per thread even out rows of different lengths).
  const int64_t target = threads == 1 ? total : std::max(kMinStretch, (total + 4 * threads - 1) / (4 * threads));
  std::vector<int64_t> first_item(static_cast<size_t>(d.R) + 1, 0);
  int64_t most = 1;
  for (int64_t r = 0; r < d.R; ++r) {
    const int64_t parts = std::max<int64_t>(1, std::min(count[r] / kMinStretch, (count[r] + target - 1) / target));
    first_item[r + 1] = first_item[r] + parts;
    most = std::max(most, (count[r] + parts - 1) / parts);
  }
  const int64_t items = first_item[d.R];
  // Shared: rotated queries (R, NH, qrow), then per item m (NH) | l (NH) | o (NH·HS).
  const int64_t part = d.NH * (2 + HS);
  float* qs = tl_shared.get(d.R * d.NH * qrow + items * part);
  float* parts = qs + d.R * d.NH * qrow;
  std::vector<float> krot(d.cache_bf16 ? static_cast<size_t>(HS) : 0);
  for (int64_t r = 0; r < d.R; ++r) {
    const int64_t row = rows[r], slot = slots[r], p = positions[r];
    const float* src = qkv + row * d.W;
    const float* cs = cos ? cos + p * half : nullptr;
    const float* sn = sin ? sin + p * half : nullptr;
    const int64_t at = (slot * d.maxT + p) * kv_row;
    if (d.cache_bf16) {
      // Rotated in fp32 exactly as below, then rounded once to bf16 (round to nearest even).
      uint16_t* kp = static_cast<uint16_t*>(cache_k) + at;
      uint16_t* vp = static_cast<uint16_t*>(cache_v) + at;
      for (int64_t g = 0; g < d.NKV; ++g) {
        const float* kh = src + d.k_off + g * d.k_sh;
        if (half > 0) {
          rotate(krot.data(), kh, cs, sn, d.rot_dim, HS);
          kh = krot.data();
        }
        const float* vh = src + d.v_off + g * d.v_sh;
        for (int64_t e = 0; e < HS; ++e) st(kp + g * HS + e, kh[e]);
        for (int64_t e = 0; e < HS; ++e) st(vp + g * HS + e, vh[e]);
      }
    } else {
      float* kp = static_cast<float*>(cache_k) + at;
      float* vp = static_cast<float*>(cache_v) + at;
      for (int64_t g = 0; g < d.NKV; ++g) {
        if (half > 0) rotate(kp + g * HS, src + d.k_off + g * d.k_sh, cs, sn, d.rot_dim, HS);
        else std::copy_n(src + d.k_off + g * d.k_sh, HS, kp + g * HS);
        std::copy_n(src + d.v_off + g * d.v_sh, HS, vp + g * HS);
      }
    }
    for (int64_t h = 0; h < d.NH; ++h) {
      const float* qh = src + d.q_off + h * d.q_sh;
      float* q = qs + (r * d.NH + h) * qrow;
      if (half > 0) rotate(q, qh, cs, sn, d.rot_dim, HS);
      else std::copy_n(qh, HS, q);
    }
  }
  const int64_t srow = round16(most);
  auto one = [&](int64_t it, float* sc) {
    const int64_t r = std::upper_bound(first_item.begin(), first_item.end(), it) - first_item.begin() - 1;
    const int64_t t = it - first_item[r], nt = first_item[r + 1] - first_item[r];
    const int64_t j0 = first[r] + t * count[r] / nt, j1 = first[r] + (t + 1) * count[r] / nt;
    const int64_t base = (slots[r] * d.maxT + j0) * kv_row;
    float* pt = parts + it * part;
    const int64_t bytes = base * (d.cache_bf16 ? 2 : 4);
    decode::Stretch a{qs + r * d.NH * qrow,
                      static_cast<const char*>(cache_k) + bytes,
                      static_cast<const char*>(cache_v) + bytes,
                      d.cache_bf16,
                      static_cast<int>(j1 - j0),
                      kv_row,
                      qrow,
                      d.NH,
                      G,
                      HS,
                      d.scale,
                      alibi_slopes,
                      static_cast<float>(j0 - positions[r]),
                      sc,
                      srow,
                      pt,
                      pt + d.NH,
                      pt + 2 * d.NH};
    stretch(a, ops);
  };
  const int64_t scratch = d.NH * srow;
  if (threads == 1 || items == 1) {
    float* sc = tl_tile.get(scratch);
    for (int64_t it = 0; it < items; ++it) one(it, sc);
  } else {
    run_items(items, scratch, one);
  }
  // Merge each row's stretches: M = max m_t, out = Σ e^(m_t − M)·o_t / Σ e^(m_t − M)·l_t.
  for (int64_t r = 0; r < d.R; ++r) {
    float* o = out + rows[r] * out_row;
    const float* p0 = parts + first_item[r] * part;
    const int64_t nt = first_item[r + 1] - first_item[r];
    for (int64_t h = 0; h < d.NH; ++h) {
      float mx = p0[h];
      for (int64_t t = 1; t < nt; ++t) mx = std::max(mx, p0[t * part + h]);
      float l = 0.0f;
      std::fill_n(o + h * HS, HS, 0.0f);
      for (int64_t t = 0; t < nt; ++t) {
        const float* pt = p0 + t * part;
        const float w = nt == 1 ? 1.0f : std::exp(pt[h] - mx);
        l += w * pt[d.NH + h];
        const float* ot = pt + 2 * d.NH + h * HS;
        for (int64_t e = 0; e < HS; ++e) o[h * HS + e] += w * ot[e];
      }
      const float inv = 1.0f / l;
      for (int64_t e = 0; e < HS; ++e) o[h * HS + e] *= inv;
    }
  }
}

}  // namespace neox
