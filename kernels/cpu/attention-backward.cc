// Fused causal attention, the backward (FlashAttention-2, Dao 2023, Algorithm 2): per key tile,
// P = exp(S - lse) is recomputed from the forward's log-sum-exp, D = rowsum(dO∘O), dS = P∘(dP − D);
// dropout regenerates the forward's keep mask. Shared pieces: attention-tiles.h.
#include <algorithm>
#include <vector>

#include "attention-tiles.h"
#include "attention.h"

namespace neox {

using namespace attn_tiles;

namespace {

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

  // With one chunk an item owns all of dQ for its G heads, so fp32 dq with whole-vector rows is
  // accumulated in place (zeroed by the item, then hot in its cache) and needs no reduction pass.
  const bool dq_direct = direct && nchunks == 1;
  // D = rowsum(dO ∘ O), (B, NH, Tq), and the dQ partials (nchunks, B, NH, Tq, HSP).
  const int64_t part_floats = dq_direct ? 0 : nchunks * d.B * d.NH * d.Tq * HSP;
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
    // dQ rows of head h: part rows (stride HSP) or dq itself (stride q_st).
    auto dq_rows = [&](int64_t h) -> float* {
      if constexpr (F32) {
        if (dq_direct) return dq + b * d.q_sb + h * d.q_sh;
      }
      return part + h * d.Tq * HSP;
    };
    const int64_t ld_dq = dq_direct ? d.q_st : HSP;
    for (int64_t h = kvh * G; h < (kvh + 1) * G; ++h) {
      float* rows_h = dq_rows(h);
      for (int64_t t = 0; t < d.Tq; ++t) std::fill(rows_h + t * ld_dq, rows_h + t * ld_dq + HSP, 0.0f);
    }
    const T* kh = k + b * d.k_sb + kvh * d.k_sh;
    const T* vh = v + b * d.v_sb + kvh * d.v_sh;

    for (int64_t kt = chunk_start[c]; kt < chunk_start[c + 1]; ++kt) {
      int64_t i_lo, i_hi;
      query_range(kt, &i_lo, &i_hi);
      const int64_t j0 = kt * BC, bc = std::min(BC, d.Tk - j0);
      if (i_lo <= i_hi) {
        pack_kt(Kt, kh + j0 * d.k_st, d.k_st, bc, HS, HSP, ops);
        pack_kt(Vt, vh + j0 * d.v_st, d.v_st, bc, HS, HSP, ops);
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
      // dk/dv rows are written once this tile is done: ask for them (and the next tile's K and
      // V rows) now, so those misses overlap the products below.
      for (int64_t cc = 0; cc < bc; ++cc) {
        for (int64_t e = 0; e < HS; e += 64 / static_cast<int64_t>(sizeof(T))) {
          __builtin_prefetch(dk + b * d.k_sb + (j0 + cc) * d.k_st + kvh * d.k_sh + e, 1);
          __builtin_prefetch(dv + b * d.v_sb + (j0 + cc) * d.v_st + kvh * d.v_sh + e, 1);
          if (kt + 1 < chunk_start[c + 1] && j0 + BC + cc < d.Tk) {
            __builtin_prefetch(kh + (j0 + BC + cc) * d.k_st + e);
            __builtin_prefetch(vh + (j0 + BC + cc) * d.v_st + e);
          }
        }
      }
      // The first products into dK and dV overwrite them; a tile no query sees is zero.
      if (i_lo > i_hi) {
        std::fill(dK, dK + BC * HSP, 0.0f);
        std::fill(dV, dV + BC * HSP, 0.0f);
      }
      bool first = true;
      for (int64_t g = 0; g < G && i_lo <= i_hi; ++g) {
        const int64_t h = kvh * G + g;
        const float slope = alibi_slopes ? alibi_slopes[h] : 0.0f;
        const bool fold = slope == 0.0f && d.scale > 0.0f;
        const float c2 = d.scale * kLog2e;
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
          // On the diagonal tile row r sees columns <= r + delta: every product there skips the
          // masked half (gemm_band), and dP's unwritten columns are never read.
          const int64_t delta = i0 + off - j0;
          const bool diag = delta < bc - 1;
          auto mm = [&](float* c, int64_t ldc, const float* a, int64_t lda, bool at, const float* bm, int64_t ldb,
                        int64_t m, int64_t n, int64_t kk, bool acc, attn::Band band) {
            if (diag) {
              ops.gemm_band(c, ldc, a, lda, at, bm, ldb, static_cast<int>(m), static_cast<int>(n),
                            static_cast<int>(kk), acc, band, delta);
            } else {
              ops.gemm(c, ldc, a, lda, at, bm, ldb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(kk),
                       acc);
            }
          };
          // P = exp(scale·QKᵀ + bias − lse), zero where masked
          mm(P, BC, Qa, ldq, false, Kt, BC, R, BC, HS, false, attn::Band::Cols);
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
            if (fold) {  // the scale folded into the exponent, as in the forward
              ops.exp2_sum(p + sp.lo, n, c2, lse_h[i0 + r] * kLog2e);
            } else {
              ops.scale_bias_max(p + sp.lo, n, d.scale, slope, rel);
              ops.exp_sum(p + sp.lo, n, lse_h[i0 + r]);
            }
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
          mm(dV, HSP, PV, BC, true, dOa, ldo, bc, HSP, R, !first, attn::Band::KBegin);
          mm(dP, BC, dOa, ldo, false, Vt, BC, R, BC, HS, false, attn::Band::Cols);
          for (int64_t r = 0; r < rows; ++r) {
            const int n = diag ? static_cast<int>(std::clamp<int64_t>(r + delta + 1, 0, bc)) : static_cast<int>(BC);
            float* ds = dP + r * BC;
            if (dp.on) ops.mul(ds, ds, M + r * BC, n);
            ops.softmax_grad(ds, P + r * BC, ds, n, D_h[i0 + r], d.scale);
            std::fill(ds + n, ds + BC, 0.0f);
          }
          // dQ += dS·K ; dK += dSᵀ·Q
          float* dq_tile = dq_rows(h) + i0 * ld_dq;
          mm(dq_tile, ld_dq, dP, BC, false, Kb, ldk, R, HSP, bc, true, attn::Band::KEnd);
          mm(dK, HSP, dP, BC, true, Qa, ldq, bc, HSP, R, !first, attn::Band::KBegin);
          first = false;
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

  if (dq_direct) return;
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

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const float* alibi_slopes, const AttentionDims& d, const AttentionDropout& drop) {
  backward_impl(dq, dk, dv, dout, q, k, v, out, lse, alibi_slopes, d, drop);
}

void attention_backward_bf16(uint16_t* dq, uint16_t* dk, uint16_t* dv, const uint16_t* dout,
                             const uint16_t* q, const uint16_t* k, const uint16_t* v, const uint16_t* out,
                             const float* lse, const float* alibi_slopes, const AttentionDims& d,
                             const AttentionDropout& drop) {
  backward_impl(dq, dk, dv, dout, q, k, v, out, lse, alibi_slopes, d, drop);
}

}  // namespace neox
