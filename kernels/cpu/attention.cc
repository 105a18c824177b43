// Fused causal attention forward and backward (FlashAttention-2, Dao 2023, Algorithms 1 and 2):
// query tiles of BR rows stream over key tiles of BC columns with an online softmax, so no T×T
// matrix is ever stored; the forward saves the log-sum-exp per row, the backward recomputes
// P = exp(S - lse) per tile and uses D = rowsum(dO∘O), dS = P∘(dP − D). Dropout on P (attention.h)
// multiplies each tile by its regenerated keep mask just before the product with V.
// B batch, Tq/Tk query/key length, NH/NKV query/kv heads, G = NH/NKV, HS head size,
// HSP = HS rounded up to 16 (tiles are zero-padded so the micro-kernels see whole vectors).
#include "attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "attention-isa.h"
#include "attention-simd.h"
#include "runtime.h"
#include "vec.h"

namespace neox {
namespace attn {
namespace {

struct Scalar {
  using vec = float;
  static constexpr int W = 1, MR = 4, NV = 4;
  static vec load(const float* p) { return *p; }
  static void store(float* p, vec v) { *p = v; }
  static vec set1(float x) { return x; }
  static vec zero() { return 0.0f; }
  static vec fmadd(vec a, vec b, vec c) { return a * b + c; }
  static vec add(vec a, vec b) { return a + b; }
  static vec mul(vec a, vec b) { return a * b; }
  static vec sub(vec a, vec b) { return a - b; }
  static vec max(vec a, vec b) { return a > b ? a : b; }
  static float hsum(vec a) { return a; }
  static float hmax(vec a) { return a; }
  static vec iota() { return 0.0f; }
  static vec exp(vec x) { return std::exp(x); }
};

}  // namespace

const IsaOps& ops_scalar() { return make_ops<Scalar>(); }

}  // namespace attn

namespace {

constexpr int64_t BR = 64;  // query rows per tile
constexpr int64_t BC = 64;  // keys per tile

const attn::IsaOps& ops_for_active_isa() {
  switch (active_isa()) {
    case Isa::Avx512:
      return attn::ops_avx512();
    case Isa::Avx2:
      return attn::ops_avx2();
    default:
      return attn::ops_scalar();
  }
}

int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

// Per-thread float workspaces, grown on demand and kept for the thread's lifetime, as the GEMM
// keeps its packing buffers (gemm.cc): workspace, not tensors, so not in alloc_stats, and a
// compiled training step makes no allocation calls once warm. `shared` holds what the calling
// thread prepares for all workers (packed K/V, dQ partials); `tile` is each worker's scratch.
struct Workspace {
  float* p = nullptr;
  size_t have = 0;
  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() { std::free(p); }
  float* get(int64_t floats) {
    const size_t want = (static_cast<size_t>(floats) * sizeof(float) + 4095) / 4096 * 4096;
    if (want > have) {
      std::free(p);
      p = nullptr;
      have = 0;
      p = static_cast<float*>(std::aligned_alloc(64, want));
      if (!p) throw std::bad_alloc();
      have = want;
    }
    return p;
  }
};
thread_local Workspace tl_shared;
thread_local Workspace tl_tile;

// Runs fn(item, scratch) for every item in [0, n) on the pool; threads take items in index
// order from a shared counter (callers list the costliest items first), each with its own
// 64-byte aligned scratch of `scratch_floats` floats.
template <class F>
void run_items(int64_t n, int64_t scratch_floats, F&& fn) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), n));
  parallel_for(workers, 1, [&](int64_t begin, int64_t end) {
    float* scratch = tl_tile.get(scratch_floats);
    for (int64_t w = begin; w < end; ++w) {
      for (int64_t it = next.fetch_add(1); it < n; it = next.fetch_add(1)) fn(it, scratch);
    }
  });
}

// Keys visible to the query at absolute position p, clipped to the tile [j0, j0 + bc), as
// offsets into the tile; lo >= hi when none.
struct Span {
  int64_t lo, hi;
};
Span visible(int64_t p, int64_t j0, int64_t bc, int64_t window) {
  const int64_t first = window >= 0 ? std::max(j0, p - window) : j0;
  const int64_t last = std::min(j0 + bc, p + 1);
  return {first - j0, last - j0};
}

// Element access for fp32 and bf16 (uint16_t bits) storage; arithmetic is always fp32.
template <class T>
inline float ld(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return *p;
  } else {
    return isa_scalar::bf16_to_f32(*p);
  }
}
template <class T>
inline void st(T* p, float x) {
  if constexpr (std::is_same_v<T, float>) {
    *p = x;
  } else {
    *p = isa_scalar::f32_to_bf16(x);
  }
}

// Packs `rows` rows (row stride st) of HS channels into a zero-padded (rows × HSP) fp32 tile.
template <class T>
void pack_rows(float* dst, const T* src, int64_t st, int64_t rows, int64_t hs, int64_t hsp) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = src + r * st;
    float* o = dst + r * hsp;
    for (int64_t e = 0; e < hs; ++e) o[e] = ld(s + e);
    for (int64_t e = hs; e < hsp; ++e) o[e] = 0.0f;
  }
}
// Packs `cols` rows transposed into a zero-padded (HSP × BC) fp32 tile.
template <class T>
void pack_transposed(float* dst, const T* src, int64_t st, int64_t cols, int64_t hs, int64_t hsp) {
  for (int64_t e = 0; e < hsp * BC; ++e) dst[e] = 0.0f;
  for (int64_t c = 0; c < cols; ++c) {
    const T* s = src + c * st;
    for (int64_t e = 0; e < hs; ++e) dst[e * BC + c] = ld(s + e);
  }
}

}  // namespace

void attention_check_dims(const AttentionDims& d) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("attention: " + what); };
  if (d.B < 1 || d.Tq < 1 || d.Tk < 1 || d.NH < 1 || d.NKV < 1 || d.HS < 1) {
    fail("sizes B, Tq, Tk, NH, NKV, HS must all be >= 1, got B=" + std::to_string(d.B) +
         " Tq=" + std::to_string(d.Tq) + " Tk=" + std::to_string(d.Tk) + " NH=" + std::to_string(d.NH) +
         " NKV=" + std::to_string(d.NKV) + " HS=" + std::to_string(d.HS));
  }
  if (d.Tk < d.Tq) {
    fail("Tk (" + std::to_string(d.Tk) + ") must be >= Tq (" + std::to_string(d.Tq) +
         "): queries are the last Tq positions");
  }
  if (d.NH % d.NKV != 0) {
    fail("NH (" + std::to_string(d.NH) + ") must be a multiple of NKV (" + std::to_string(d.NKV) + ")");
  }
  if (!std::isfinite(d.scale)) fail("scale must be finite");
}

void attention_check_dropout(const AttentionDropout& drop) {
  if (!(drop.p >= 0.0f && drop.p < 1.0f)) {
    throw std::invalid_argument("attention: dropout p must be in [0, 1), got " + std::to_string(drop.p));
  }
}

namespace {

// The dropout constants of one call: threshold = floor(p·2^24) and scale 1/(1-p), as dropout.cc
// computes them, and the counter of element (b, h, i, j) (layout in attention.h).
struct DropPlan {
  bool on;
  uint32_t threshold;
  float c;
  uint64_t seed, offset;
  int64_t NH, Tq, Tk;
  DropPlan(const AttentionDropout& drop, const AttentionDims& d)
      : on(drop.p > 0.0f),
        threshold(static_cast<uint32_t>(drop.p * 16777216.0f)),
        c(1.0f / (1.0f - drop.p)),
        seed(drop.seed),
        offset(drop.offset),
        NH(d.NH),
        Tq(d.Tq),
        Tk(d.Tk) {}
  uint64_t counter(int64_t b, int64_t h, int64_t i, int64_t j) const {
    return offset + static_cast<uint64_t>(((b * NH + h) * Tq + i) * Tk + j);
  }
};

// T = float or uint16_t (bf16 bits): storage of q, k, v, out; tiles, softmax and accumulators
// are fp32 either way.
template <class T>
void forward_impl(T* out, float* lse, const T* q, const T* k, const T* v, const float* alibi_slopes,
                  const AttentionDims& d, const AttentionDropout& drop) {
  attention_check_dims(d);
  attention_check_dropout(drop);
  const DropPlan dp(drop, d);
  constexpr bool F32 = std::is_same_v<T, float>;
  const attn::IsaOps& ops = ops_for_active_isa();
  const int64_t HS = d.HS, HSP = round16(HS), G = d.NH / d.NKV, off = d.Tk - d.Tq;
  const int64_t nqt = (d.Tq + BR - 1) / BR, nkt = (d.Tk + BC - 1) / BC, BH = d.B * d.NH;
  // Kᵀ tiles (B, NKV, nkt, HSP×BC) are packed once for all query tiles; fp32 V is read in place
  // when its rows are whole vectors (HS % 16 == 0), else packed zero-padded to (B, NKV, nkt,
  // BC×HSP); fp32 Q is always read in place (it is only ever the A operand).
  const bool v_direct = F32 && HS == HSP;
  const int64_t tile = HSP * BC, n_tiles = d.B * d.NKV * nkt;
  float* packed = tl_shared.get(tile * n_tiles * (v_direct ? 1 : 2));
  float* KT = packed;
  float* VP = packed + tile * n_tiles;
  // scratch: S (BR×BC) | O (BR×HSP) | m, l (BR each) | Q (BR×HSP, bf16 only)
  const int64_t scratch = BR * BC + BR * HSP + 2 * BR + (F32 ? 0 : BR * HSP);
  parallel_for(n_tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; ++it) {
      const int64_t kt = it % nkt, bk = it / nkt, b = bk / d.NKV, kvh = bk % d.NKV;
      const int64_t j0 = kt * BC, bc = std::min(BC, d.Tk - j0);
      pack_transposed(KT + it * tile, k + b * d.k_sb + j0 * d.k_st + kvh * d.k_sh, d.k_st, bc, HS, HSP);
      if (!v_direct) pack_rows(VP + it * tile, v + b * d.v_sb + j0 * d.v_st + kvh * d.v_sh, d.v_st, bc, HS, HSP);
    }
  });

  // Items run costliest first: the last query tiles see the most keys.
  run_items(nqt * BH, scratch, [&](int64_t it, float* buf) {
    const int64_t qt = nqt - 1 - it / BH, bh = it % BH, b = bh / d.NH, h = bh % d.NH, kvh = h / G;
    float *S = buf, *O = S + BR * BC, *m = O + BR * HSP, *l = m + BR;
    const int64_t i0 = qt * BR, rows = std::min(BR, d.Tq - i0);
    const int R = static_cast<int>(rows);
    const float slope = alibi_slopes ? alibi_slopes[h] : 0.0f;
    const T* q_tile = q + b * d.q_sb + i0 * d.q_st + h * d.q_sh;
    const float* Qt;
    int64_t ldq;
    if constexpr (F32) {
      Qt = q_tile;  // the A operand: read in place
      ldq = d.q_st;
    } else {
      float* Qp = l + BR;
      pack_rows(Qp, q_tile, d.q_st, rows, HS, HSP);
      Qt = Qp;
      ldq = HSP;
    }
    std::fill(O, O + BR * HSP, 0.0f);
    std::fill(m, m + BR, -INFINITY);
    std::fill(l, l + BR, 0.0f);

    const int64_t p_first = i0 + off, p_last = i0 + rows - 1 + off;
    const int64_t k_first = d.window >= 0 ? std::max<int64_t>(0, p_first - d.window) : 0;
    const int64_t tile0 = (b * d.NKV + kvh) * nkt;
    for (int64_t kt = k_first / BC; kt <= p_last / BC; ++kt) {
      const int64_t j0 = kt * BC, bc = std::min(BC, d.Tk - j0);
      ops.gemm(S, BC, Qt, ldq, false, KT + (tile0 + kt) * tile, BC, R, BC, static_cast<int>(HS), false);
      for (int64_t r = 0; r < rows; ++r) {
        float* s = S + r * BC;
        const Span sp = visible(i0 + r + off, j0, bc, d.window);
        if (sp.lo >= sp.hi) {
          std::fill(s, s + BC, 0.0f);
          continue;
        }
        const int n = static_cast<int>(sp.hi - sp.lo);
        // ALiBi bias -slope·(i - j) = slope·(j - i), j - i = j0 + lo + c - p for column c
        const float rel = static_cast<float>(j0 + sp.lo - (i0 + r + off));
        const float mx = ops.scale_bias_max(s + sp.lo, n, d.scale, slope, rel);
        const float mnew = std::max(m[r], mx);
        const float alpha = std::exp(m[r] - mnew);  // 0 on the first visible tile (m = -inf)
        const float sum = ops.exp_sum(s + sp.lo, n, mnew);
        // l sums the undropped weights (the softmax normalises before dropout); only the
        // weights that multiply V are masked and scaled.
        if (dp.on) ops.dropout(s + sp.lo, n, dp.counter(b, h, i0 + r, j0 + sp.lo), dp.seed, dp.threshold, dp.c);
        std::fill(s, s + sp.lo, 0.0f);
        std::fill(s + sp.hi, s + BC, 0.0f);
        l[r] = l[r] * alpha + sum;
        if (alpha != 1.0f) ops.scale(O + r * HSP, static_cast<int>(HSP), alpha);
        m[r] = mnew;
      }
      const float* Vt = VP + (tile0 + kt) * tile;
      int64_t ldv = HSP;
      if constexpr (F32) {
        if (v_direct) {
          Vt = v + b * d.v_sb + j0 * d.v_st + kvh * d.v_sh;
          ldv = d.v_st;
        }
      }
      ops.gemm(O, HSP, S, BC, false, Vt, ldv, R, static_cast<int>(HSP), static_cast<int>(bc), true);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float inv = 1.0f / l[r];
      T* o = out + ((b * d.Tq + i0 + r) * d.NH + h) * HS;
      for (int64_t e = 0; e < HS; ++e) st(o + e, O[r * HSP + e] * inv);
      lse[(b * d.NH + h) * d.Tq + i0 + r] = m[r] + std::log(l[r]);
    }
  });
}

// Backward work items are (key-tile chunk, b, kv head): each owns dK/dV of its key tiles (summed
// over the G query heads that share them) and writes its share of dQ into a private partial
// buffer; a last pass sums the partials into dq. Chunks split the key tiles when B·NKV alone
// would leave threads idle, balanced by the count of visible query tiles (causal: triangular).
template <class T>
void backward_impl(T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v, const T* out,
                   const float* lse, const float* alibi_slopes, const AttentionDims& d,
                   const AttentionDropout& drop) {
  attention_check_dims(d);
  attention_check_dropout(drop);
  const DropPlan dp(drop, d);
  constexpr bool F32 = std::is_same_v<T, float>;
  const attn::IsaOps& ops = ops_for_active_isa();
  const int64_t HS = d.HS, HSP = round16(HS), G = d.NH / d.NKV, off = d.Tk - d.Tq;
  const int64_t nkt = (d.Tk + BC - 1) / BC;
  // fp32 Q, dO and K are read in place when their rows are whole vectors, else packed.
  const bool direct = F32 && HS == HSP;

  // Query rows [i_lo, i_hi] that see some key of tile kt.
  auto query_range = [&](int64_t kt, int64_t* i_lo, int64_t* i_hi) {
    const int64_t j0 = kt * BC, j1 = std::min(d.Tk, j0 + BC) - 1;
    *i_lo = std::max<int64_t>(0, j0 - off);
    *i_hi = d.window >= 0 ? std::min(d.Tq - 1, j1 + d.window - off) : d.Tq - 1;
  };
  std::vector<int64_t> cost(nkt);
  int64_t total = 0;
  for (int64_t kt = 0; kt < nkt; ++kt) {
    int64_t lo, hi;
    query_range(kt, &lo, &hi);
    cost[kt] = lo > hi ? 0 : hi / BR - lo / BR + 1;
    total += cost[kt];
  }
  const int64_t base_items = d.B * d.NKV, threads = num_threads();
  const int64_t nc = base_items >= 2 * threads
                         ? 1
                         : std::min(nkt, (2 * threads + base_items - 1) / base_items);
  std::vector<int64_t> chunk_start{0};
  for (int64_t kt = 0, acc = 0; kt < nkt && static_cast<int64_t>(chunk_start.size()) < nc; ++kt) {
    acc += cost[kt];
    if (acc * nc >= total * static_cast<int64_t>(chunk_start.size()) && kt + 1 < nkt) chunk_start.push_back(kt + 1);
  }
  chunk_start.push_back(nkt);
  const int64_t nchunks = static_cast<int64_t>(chunk_start.size()) - 1;

  // D = rowsum(dO ∘ O), (B, NH, Tq), and the dQ partials (nchunks, B, NH, Tq, HSP).
  const int64_t part_floats = nchunks * d.B * d.NH * d.Tq * HSP;
  float* Dbuf = tl_shared.get(d.B * d.NH * d.Tq + part_floats);
  float* parts = Dbuf + d.B * d.NH * d.Tq;
  parallel_for(d.B * d.Tq, 16, [&](int64_t begin, int64_t end) {
    for (int64_t bt = begin; bt < end; ++bt) {
      const int64_t b = bt / d.Tq, t = bt % d.Tq;
      for (int64_t h = 0; h < d.NH; ++h) {
        const int64_t o = (bt * d.NH + h) * HS;
        float dot = 0.0f;
        if constexpr (F32) {
          dot = ops.dot(dout + o, out + o, static_cast<int>(HS));
        } else {
          for (int64_t e = 0; e < HS; ++e) dot += ld(dout + o + e) * ld(out + o + e);
        }
        Dbuf[(b * d.NH + h) * d.Tq + t] = dot;
      }
    }
  });

  // scratch: Kᵀ, Vᵀ (HSP×BC) | K, dK, dV (BC×HSP) | Q, dO (BR×HSP) | P, dP (BR×BC) | mask·1/(1-p)
  // (BR×BC, with dropout only)
  const int64_t scratch = 2 * HSP * BC + 3 * BC * HSP + 2 * BR * HSP + (dp.on ? 3 : 2) * BR * BC;
  run_items(nchunks * base_items, scratch, [&](int64_t it, float* buf) {
    const int64_t c = it / base_items, b = (it % base_items) / d.NKV, kvh = it % d.NKV;
    float *Kt = buf, *Vt = Kt + HSP * BC, *Kp = Vt + HSP * BC, *dK = Kp + BC * HSP, *dV = dK + BC * HSP;
    float *Qp = dV + BC * HSP, *dOp = Qp + BR * HSP, *P = dOp + BR * HSP, *dP = P + BR * BC, *M = dP + BR * BC;
    float* part = parts + (c * d.B + b) * d.NH * d.Tq * HSP;
    std::fill(part + kvh * G * d.Tq * HSP, part + (kvh + 1) * G * d.Tq * HSP, 0.0f);
    const T* kh = k + b * d.k_sb + kvh * d.k_sh;
    const T* vh = v + b * d.v_sb + kvh * d.v_sh;

    for (int64_t kt = chunk_start[c]; kt < chunk_start[c + 1]; ++kt) {
      int64_t i_lo, i_hi;
      query_range(kt, &i_lo, &i_hi);
      const int64_t j0 = kt * BC, bc = std::min(BC, d.Tk - j0);
      if (i_lo <= i_hi) {
        pack_transposed(Kt, kh + j0 * d.k_st, d.k_st, bc, HS, HSP);
        pack_transposed(Vt, vh + j0 * d.v_st, d.v_st, bc, HS, HSP);
        if (!direct) pack_rows(Kp, kh + j0 * d.k_st, d.k_st, bc, HS, HSP);
      }
      const float* Kb = Kp;
      int64_t ldk = HSP;
      if constexpr (F32) {
        if (direct) {
          Kb = kh + j0 * d.k_st;
          ldk = d.k_st;
        }
      }
      std::fill(dK, dK + BC * HSP, 0.0f);
      std::fill(dV, dV + BC * HSP, 0.0f);
      for (int64_t g = 0; g < G && i_lo <= i_hi; ++g) {
        const int64_t h = kvh * G + g;
        const float slope = alibi_slopes ? alibi_slopes[h] : 0.0f;
        const float* lse_h = lse + (b * d.NH + h) * d.Tq;
        const float* D_h = Dbuf + (b * d.NH + h) * d.Tq;
        for (int64_t qt = i_lo / BR; qt <= i_hi / BR; ++qt) {
          const int64_t i0 = qt * BR, rows = std::min(BR, d.Tq - i0);
          const int R = static_cast<int>(rows);
          const T* Qsrc = q + b * d.q_sb + i0 * d.q_st + h * d.q_sh;
          const T* dOsrc = dout + ((b * d.Tq + i0) * d.NH + h) * HS;
          const float *Qa = Qp, *dOa = dOp;
          int64_t ldq = HSP, ldo = HSP;
          if constexpr (F32) {
            if (direct) {
              Qa = Qsrc;
              dOa = dOsrc;
              ldq = d.q_st;
              ldo = d.NH * HS;
            }
          }
          if (!direct) {
            pack_rows(Qp, Qsrc, d.q_st, rows, HS, HSP);
            pack_rows(dOp, dOsrc, d.NH * HS, rows, HS, HSP);
          }
          // P = exp(scale·QKᵀ + bias − lse), zero where masked
          ops.gemm(P, BC, Qa, ldq, false, Kt, BC, R, BC, static_cast<int>(HS), false);
          for (int64_t r = 0; r < rows; ++r) {
            float* p = P + r * BC;
            const Span sp = visible(i0 + r + off, j0, bc, d.window);
            if (dp.on) std::fill(M + r * BC, M + (r + 1) * BC, 0.0f);
            if (sp.lo >= sp.hi) {
              std::fill(p, p + BC, 0.0f);
              continue;
            }
            const int n = static_cast<int>(sp.hi - sp.lo);
            const float rel = static_cast<float>(j0 + sp.lo - (i0 + r + off));
            ops.scale_bias_max(p + sp.lo, n, d.scale, slope, rel);
            ops.exp_sum(p + sp.lo, n, lse_h[i0 + r]);
            std::fill(p, p + sp.lo, 0.0f);
            std::fill(p + sp.hi, p + BC, 0.0f);
            if (dp.on) {
              // M = keep/(1-p) on the visible keys, the forward's mask regenerated
              float* mr = M + r * BC + sp.lo;
              std::fill(mr, mr + n, 1.0f);
              ops.dropout(mr, n, dp.counter(b, h, i0 + r, j0 + sp.lo), dp.seed, dp.threshold, dp.c);
            }
          }
          // dV += P_Mᵀ·dO (P_M = P∘M, built in dP before dP is computed) ; dP = dO·Vᵀ ∘ M ;
          // dS = P∘(dP − D)·scale (kept in dP)
          const float* PV = P;
          if (dp.on) {
            for (int64_t r = 0; r < rows; ++r) ops.mul(dP + r * BC, P + r * BC, M + r * BC, BC);
            PV = dP;
          }
          ops.gemm(dV, HSP, PV, BC, true, dOa, ldo, static_cast<int>(bc), static_cast<int>(HSP), R, true);
          ops.gemm(dP, BC, dOa, ldo, false, Vt, BC, R, BC, static_cast<int>(HS), false);
          for (int64_t r = 0; r < rows; ++r) {
            if (dp.on) ops.mul(dP + r * BC, dP + r * BC, M + r * BC, BC);
            ops.softmax_grad(dP + r * BC, P + r * BC, dP + r * BC, BC, D_h[i0 + r], d.scale);
          }
          // dQ += dS·K ; dK += dSᵀ·Q
          float* dq_tile = part + (h * d.Tq + i0) * HSP;
          ops.gemm(dq_tile, HSP, dP, BC, false, Kb, ldk, R, static_cast<int>(HSP), static_cast<int>(bc), true);
          ops.gemm(dK, HSP, dP, BC, true, Qa, ldq, static_cast<int>(bc), static_cast<int>(HSP), R, true);
        }
      }
      for (int64_t cc = 0; cc < bc; ++cc) {
        T* dkr = dk + b * d.k_sb + (j0 + cc) * d.k_st + kvh * d.k_sh;
        T* dvr = dv + b * d.v_sb + (j0 + cc) * d.v_st + kvh * d.v_sh;
        for (int64_t e = 0; e < HS; ++e) {
          st(dkr + e, dK[cc * HSP + e]);
          st(dvr + e, dV[cc * HSP + e]);
        }
      }
    }
  });

  parallel_for(d.B * d.Tq, 16, [&](int64_t begin, int64_t end) {
    for (int64_t bt = begin; bt < end; ++bt) {
      const int64_t b = bt / d.Tq, t = bt % d.Tq;
      for (int64_t h = 0; h < d.NH; ++h) {
        T* o = dq + b * d.q_sb + t * d.q_st + h * d.q_sh;
        const float* p0 = parts + ((b * d.NH + h) * d.Tq + t) * HSP;
        for (int64_t e = 0; e < HS; ++e) {
          float sum = p0[e];
          for (int64_t c = 1; c < nchunks; ++c) sum += p0[e + c * d.B * d.NH * d.Tq * HSP];
          st(o + e, sum);
        }
      }
    }
  });
}

}  // namespace

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const float* alibi_slopes, const AttentionDims& d, const AttentionDropout& drop) {
  forward_impl(out, lse, q, k, v, alibi_slopes, d, drop);
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const float* alibi_slopes, const AttentionDims& d, const AttentionDropout& drop) {
  backward_impl(dq, dk, dv, dout, q, k, v, out, lse, alibi_slopes, d, drop);
}

void attention_forward_bf16(uint16_t* out, float* lse, const uint16_t* q, const uint16_t* k,
                            const uint16_t* v, const float* alibi_slopes, const AttentionDims& d,
                            const AttentionDropout& drop) {
  forward_impl(out, lse, q, k, v, alibi_slopes, d, drop);
}

void attention_backward_bf16(uint16_t* dq, uint16_t* dk, uint16_t* dv, const uint16_t* dout,
                             const uint16_t* q, const uint16_t* k, const uint16_t* v, const uint16_t* out,
                             const float* lse, const float* alibi_slopes, const AttentionDims& d,
                             const AttentionDropout& drop) {
  backward_impl(dq, dk, dv, dout, q, k, v, out, lse, alibi_slopes, d, drop);
}

}  // namespace neox
