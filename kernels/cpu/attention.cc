// Fused causal attention, the forward (FlashAttention-2, Dao 2023, Algorithm 1; the backward,
// Algorithm 2, is attention-backward.cc):
// query tiles of BR rows stream over key tiles of BC columns with an online softmax, so no T×T
// matrix is ever stored; the forward saves the log-sum-exp per row, the backward recomputes
// P = exp(S - lse) per tile and uses D = rowsum(dO∘O), dS = P∘(dP − D). Dropout on P (attention.h)
// multiplies each tile by its regenerated keep mask just before the product with V.
// B batch, Tq/Tk query/key length, NH/NKV query/kv heads, G = NH/NKV, HS head size,
// HSP = HS rounded up to 16 (tiles are zero-padded so the micro-kernels see whole vectors).
#include "attention.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "attention-simd.h"
#include "attention-tiles.h"

namespace neox {
namespace attn {
namespace {

struct Scalar {
  using vec = float;
  static constexpr int W = 1, MR = 4, NV = 4;
  static constexpr bool T16 = false;
  static void transpose16(float*, int64_t, const float*, int64_t) {}
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
  static vec exp2(vec x) { return std::exp2(x); }
};

}  // namespace

const IsaOps& ops_scalar() { return make_ops<Scalar>(); }

}  // namespace attn

using namespace attn_tiles;

const attn::IsaOps& attn_tiles::ops_for_active_isa() {
  switch (active_isa()) {
    case Isa::Avx512:
      return attn::ops_avx512();
    case Isa::Avx2:
      return attn::ops_avx2();
    default:
      return attn::ops_scalar();
  }
}

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

// T = float or uint16_t (bf16 bits): storage of q, k, v, out; tiles, softmax and accumulators
// are fp32 either way. The callers below have checked d and drop.
template <class T>
void forward_impl(T* out, float* lse, const T* q, const T* k, const T* v, const float* alibi_slopes,
                  const AttentionDims& d, const AttentionDropout& drop) {
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
      pack_kt(KT + it * tile, k + b * d.k_sb + j0 * d.k_st + kvh * d.k_sh, d.k_st, bc, HS, HSP, ops);
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
    // Without a bias the scale folds into the exponent (exp2_sum) and the max is of raw scores.
    const bool fold = slope == 0.0f && d.scale > 0.0f;
    const float c2 = d.scale * kLog2e;
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
    // The output rows are written only at the end: ask for them now so the misses overlap.
    for (int64_t r = 0; r < rows; ++r) {
      T* o = out + ((b * d.Tq + i0 + r) * d.NH + h) * HS;
      for (int64_t e = 0; e < HS; e += 64 / static_cast<int64_t>(sizeof(T))) __builtin_prefetch(o + e, 1);
    }
    std::fill(O, O + BR * HSP, 0.0f);
    std::fill(m, m + BR, -INFINITY);
    std::fill(l, l + BR, 0.0f);

    const int64_t p_first = i0 + off, p_last = i0 + rows - 1 + off;
    const int64_t k_first = d.window >= 0 ? std::max<int64_t>(0, p_first - d.window) : 0;
    const int64_t tile0 = (b * d.NKV + kvh) * nkt;
    for (int64_t kt = k_first / BC; kt <= p_last / BC; ++kt) {
      const int64_t j0 = kt * BC, bc = std::min(BC, d.Tk - j0);
      // Row r sees tile columns <= r + delta; the diagonal tile computes only that band.
      const int64_t delta = i0 + off - j0;
      const bool diag = delta < bc - 1;
      if (diag) {
        ops.gemm_band(S, BC, Qt, ldq, false, KT + (tile0 + kt) * tile, BC, R, BC, static_cast<int>(HS), false,
                      attn::Band::Cols, delta);
      } else {
        ops.gemm(S, BC, Qt, ldq, false, KT + (tile0 + kt) * tile, BC, R, BC, static_cast<int>(HS), false);
      }
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
        const float mx = fold ? ops.row_max(s + sp.lo, n) * d.scale
                              : ops.scale_bias_max(s + sp.lo, n, d.scale, slope, rel);
        const float mnew = std::max(m[r], mx);
        const float alpha = std::exp(m[r] - mnew);  // 0 on the first visible tile (m = -inf)
        const float sum = fold ? ops.exp2_sum(s + sp.lo, n, c2, mnew * kLog2e) : ops.exp_sum(s + sp.lo, n, mnew);
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
      if (diag) {
        ops.gemm_band(O, HSP, S, BC, false, Vt, ldv, R, static_cast<int>(HSP), static_cast<int>(bc), true,
                      attn::Band::KEnd, delta);
      } else {
        ops.gemm(O, HSP, S, BC, false, Vt, ldv, R, static_cast<int>(HSP), static_cast<int>(bc), true);
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float inv = 1.0f / l[r];
      T* o = out + ((b * d.Tq + i0 + r) * d.NH + h) * HS;
      for (int64_t e = 0; e < HS; ++e) st(o + e, O[r * HSP + e] * inv);
      lse[(b * d.NH + h) * d.Tq + i0 + r] = m[r] + std::log(l[r]);
    }
  });
}

}  // namespace

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const float* alibi_slopes, const AttentionDims& d, const AttentionDropout& drop) {
  attention_check_dims(d);
  attention_check_dropout(drop);
  if (drop.p == 0.0f && attention_decode_f32(out, lse, q, k, v, alibi_slopes, d)) return;  // attention-decode.cc
  forward_impl(out, lse, q, k, v, alibi_slopes, d, drop);
}

void attention_forward_bf16(uint16_t* out, float* lse, const uint16_t* q, const uint16_t* k,
                            const uint16_t* v, const float* alibi_slopes, const AttentionDims& d,
                            const AttentionDropout& drop) {
  attention_check_dims(d);
  attention_check_dropout(drop);
  forward_impl(out, lse, q, k, v, alibi_slopes, d, drop);
}

}  // namespace neox
