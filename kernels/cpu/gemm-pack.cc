// GEMM packing: copies blocks of op(A) and panels of op(B) into the strip layouts the micro-kernels
// read (gemm-internal.h), from fp32, bf16 or fp16 sources. The ISA files supply vectorised packing for the
// common k-contiguous cases; these portable loops cover the rest.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gemm-internal.h"

namespace neox::gemm_detail {
namespace {

// ---------------------------------------------------------------------------------------------
// Packing. Sources are fp32, bf16 or fp16 (uint16 bits); packed elements are fp32 or bf16 pairs.

template <Src S>
using Elem = std::conditional_t<S == Src::F32, float, uint16_t>;

// One source element as fp32; S fixed at compile time so the packing loops stay branch-free.
template <Src S>
inline float widen(Elem<S> v) {
  if constexpr (S == Src::F32) return v;
  else if constexpr (S == Src::Bf16) return bf16_to_f32(v);
  else return f16_to_f32(v);
}

// A is logical M x K: (i, k) at trans ? A[k*lda + i] : A[i*lda + k].
template <Src S, class T = Elem<S>>
void pack_a_f32(const T* A, int64_t lda, bool trans, int64_t i0, int64_t k0, int64_t mc, int64_t kc, int mr, float* dst) {
  if (trans) {
    // k outermost: row k of the source holds the block's mc values contiguously, so each is read
    // once and in order (a strip-major loop would walk kc rows per strip of mr values, re-fetching
    // the same cache lines for every strip: the dW = dyᵀ·x GEMMs of a training step).
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = A + (k0 + k) * lda + i0;
      for (int64_t s = 0; s < mc; s += mr) {
        const int rows = static_cast<int>(std::min<int64_t>(mr, mc - s));
        float* d = dst + s * kc + k * mr;
        if constexpr (std::is_same_v<T, float>) {
          if (rows == mr) {  // a whole strip: one block copy (the common case)
            std::memcpy(d, src + s, sizeof(float) * static_cast<size_t>(mr));
            continue;
          }
        }
        for (int r = 0; r < rows; ++r) d[r] = widen<S>(src[s + r]);
        for (int r = rows; r < mr; ++r) d[r] = 0.0f;
      }
    }
    return;
  }
  for (int64_t s = 0; s < mc; s += mr) {
    int rows = static_cast<int>(std::min<int64_t>(mr, mc - s));
    float* d = dst + s * kc;
    for (int r = 0; r < rows; ++r) {
      const T* src = A + (i0 + s + r) * lda + k0;
      for (int64_t k = 0; k < kc; ++k) d[k * mr + r] = widen<S>(src[k]);
    }
    for (int r = rows; r < mr; ++r)
      for (int64_t k = 0; k < kc; ++k) d[k * mr + r] = 0.0f;
  }
}

// B is logical K x N: (k, j) at trans ? B[j*ldb + k] : B[k*ldb + j].
template <Src S, class T = Elem<S>>
void pack_b_f32(const T* B, int64_t ldb, bool trans, int64_t k0, int64_t j0, int64_t kc, int64_t nc, int nr, float* dst) {
  for (int64_t s = 0; s < nc; s += nr) {
    int cols = static_cast<int>(std::min<int64_t>(nr, nc - s));
    float* d = dst + s * kc;
    if (!trans) {
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = B + (k0 + k) * ldb + j0 + s;
        float* dk = d + k * nr;
        if constexpr (std::is_same_v<T, float>) {
          if (cols == nr) {
            std::memcpy(dk, src, sizeof(float) * nr);
            continue;
          }
        }
        for (int j = 0; j < cols; ++j) dk[j] = widen<S>(src[j]);
        for (int j = cols; j < nr; ++j) dk[j] = 0.0f;
      }
    } else {
      for (int j = 0; j < cols; ++j) {
        const T* src = B + (j0 + s + j) * ldb + k0;
        for (int64_t k = 0; k < kc; ++k) d[k * nr + j] = widen<S>(src[k]);
      }
      for (int j = cols; j < nr; ++j)
        for (int64_t k = 0; k < kc; ++k) d[k * nr + j] = 0.0f;
    }
  }
}

inline uint32_t pair(uint16_t lo, uint16_t hi) { return static_cast<uint32_t>(lo) | (static_cast<uint32_t>(hi) << 16); }
inline uint32_t load_word(const uint16_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);  // (p[0], p[1]) as one little-endian word: exactly a packed pair
  return w;
}

// bf16 pairs: packed step p holds source k = k0 + 2p (low half) and k0 + 2p + 1 (high half, 0 past
// kc). Where consecutive k are adjacent in memory (A not transposed, B transposed) a pair is one
// 32-bit word and packing is the fp32 copy on words; otherwise two rows are interleaved.
void pack_a_pairs(const uint16_t* A, int64_t lda, bool trans, int64_t i0, int64_t k0, int64_t mc, int64_t kc, int mr,
                  uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2, full = kc / 2;
  for (int64_t s = 0; s < mc; s += mr) {
    int rows = static_cast<int>(std::min<int64_t>(mr, mc - s));
    uint32_t* d = dst + s * kp;
    if (!trans) {
      for (int r = 0; r < rows; ++r) {
        const uint16_t* src = A + (i0 + s + r) * lda + k0;
        for (int64_t p = 0; p < full; ++p) d[p * mr + r] = load_word(src + 2 * p);
        if (full < kp) d[full * mr + r] = pair(src[2 * full], 0);
      }
    } else {
      for (int64_t p = 0; p < kp; ++p) {
        const uint16_t* lo = A + (k0 + 2 * p) * lda + i0 + s;
        uint32_t* dp = d + p * mr;
        if (p < full) {
          const uint16_t* hi = lo + lda;
          for (int r = 0; r < rows; ++r) dp[r] = pair(lo[r], hi[r]);
        } else {
          for (int r = 0; r < rows; ++r) dp[r] = pair(lo[r], 0);
        }
      }
    }
    for (int r = rows; r < mr; ++r)
      for (int64_t p = 0; p < kp; ++p) d[p * mr + r] = 0;
  }
}

void pack_b_pairs(const uint16_t* B, int64_t ldb, bool trans, int64_t k0, int64_t j0, int64_t kc, int64_t nc, int nr,
                  uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2, full = kc / 2;
  for (int64_t s = 0; s < nc; s += nr) {
    int cols = static_cast<int>(std::min<int64_t>(nr, nc - s));
    uint32_t* d = dst + s * kp;
    if (!trans) {
      for (int64_t p = 0; p < kp; ++p) {
        const uint16_t* lo = B + (k0 + 2 * p) * ldb + j0 + s;
        uint32_t* dp = d + p * nr;
        if (p < full) {
          const uint16_t* hi = lo + ldb;
          for (int j = 0; j < cols; ++j) dp[j] = pair(lo[j], hi[j]);
        } else {
          for (int j = 0; j < cols; ++j) dp[j] = pair(lo[j], 0);
        }
        for (int j = cols; j < nr; ++j) dp[j] = 0;
      }
    } else {
      for (int j = 0; j < cols; ++j) {
        const uint16_t* src = B + (j0 + s + j) * ldb + k0;
        for (int64_t p = 0; p < full; ++p) d[p * nr + j] = load_word(src + 2 * p);
        if (full < kp) d[full * nr + j] = pair(src[2 * full], 0);
      }
      for (int j = cols; j < nr; ++j)
        for (int64_t p = 0; p < kp; ++p) d[p * nr + j] = 0;
    }
  }
}

}  // namespace

void pack_a(const KernelSpec& ks, const Problem& p, int64_t i0, int64_t k0, int64_t mc, int64_t kc, void* dst) {
  const uint16_t* a16 = static_cast<const uint16_t*>(p.A);
  if (!ks.bf16_pairs && !p.ta && ks.pack_rows)
    ks.pack_rows(p.A, p.lda, p.src, i0, mc, k0, kc, ks.mr, static_cast<float*>(dst));
  else if (ks.bf16_pairs && !p.ta && ks.pair_rows)
    ks.pair_rows(a16, p.lda, i0, mc, k0, kc, ks.mr, static_cast<uint32_t*>(dst));
  else if (ks.bf16_pairs && p.ta && ks.pair_cols)
    ks.pair_cols(a16, p.lda, i0, mc, k0, kc, ks.mr, static_cast<uint32_t*>(dst));
  else if (ks.bf16_pairs)
    pack_a_pairs(static_cast<const uint16_t*>(p.A), p.lda, p.ta, i0, k0, mc, kc, ks.mr, static_cast<uint32_t*>(dst));
  else if (p.src == Src::Bf16)
    pack_a_f32<Src::Bf16>(a16, p.lda, p.ta, i0, k0, mc, kc, ks.mr, static_cast<float*>(dst));
  else if (p.src == Src::F16)
    pack_a_f32<Src::F16>(a16, p.lda, p.ta, i0, k0, mc, kc, ks.mr, static_cast<float*>(dst));
  else
    pack_a_f32<Src::F32>(static_cast<const float*>(p.A), p.lda, p.ta, i0, k0, mc, kc, ks.mr, static_cast<float*>(dst));
}

void pack_b(const KernelSpec& ks, const Problem& p, int64_t k0, int64_t j0, int64_t kc, int64_t nc, void* dst) {
  const uint16_t* b16 = static_cast<const uint16_t*>(p.B);
  if (!ks.bf16_pairs && p.tb && ks.pack_rows)
    ks.pack_rows(p.B, p.ldb, p.src, j0, nc, k0, kc, ks.nr, static_cast<float*>(dst));
  else if (ks.bf16_pairs && p.tb && ks.pair_rows)
    ks.pair_rows(b16, p.ldb, j0, nc, k0, kc, ks.nr, static_cast<uint32_t*>(dst));
  else if (ks.bf16_pairs && !p.tb && ks.pair_cols)
    ks.pair_cols(b16, p.ldb, j0, nc, k0, kc, ks.nr, static_cast<uint32_t*>(dst));
  else if (ks.bf16_pairs)
    pack_b_pairs(static_cast<const uint16_t*>(p.B), p.ldb, p.tb, k0, j0, kc, nc, ks.nr, static_cast<uint32_t*>(dst));
  else if (p.src == Src::Bf16)
    pack_b_f32<Src::Bf16>(b16, p.ldb, p.tb, k0, j0, kc, nc, ks.nr, static_cast<float*>(dst));
  else if (p.src == Src::F16)
    pack_b_f32<Src::F16>(b16, p.ldb, p.tb, k0, j0, kc, nc, ks.nr, static_cast<float*>(dst));
  else
    pack_b_f32<Src::F32>(static_cast<const float*>(p.B), p.ldb, p.tb, k0, j0, kc, nc, ks.nr, static_cast<float*>(dst));
}

}  // namespace neox::gemm_detail
