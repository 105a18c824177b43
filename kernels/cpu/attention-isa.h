// The inner loops of the attention kernels, one table per ISA (scalar, AVX2, AVX-512). The
// tiling and online-softmax bookkeeping in attention.cc is shared; only these change per path.
#pragma once

#include <cstdint>

namespace neox::attn {

// Which part of a gemm a diagonal tile needs (gemm_band). A block of rows [i, i + r) of C sees
// keys < i + r + delta (delta: the first row's key offset past the tile's first key):
//   Cols:   C = A·B over columns < that bound only, rounded up to whole vectors (S = Q·Kᵀ,
//           dP = dO·Vᵀ); the other columns of those rows are left unwritten.
//   KEnd:   the sum over k stops at that bound, where A (P or dS) is zero (O += P·V, dQ += dS·K).
//   KBegin: a_trans, rows are keys: the sum starts at query i - delta, the first that sees key i
//           (dV += Pᵀ·dO, dK += dSᵀ·Q).
enum class Band { Cols, KEnd, KBegin };

struct IsaOps {
  // C[m×n] (+)= A·B with B (k×n) row-major (ldb), n a multiple of 16, C row-major (ldc).
  // A is (m×k) row-major (lda) when a_trans is false, else stored transposed (k×m, lda), which
  // gives Pᵀ·dO and dSᵀ·Q without materialising the transpose.
  void (*gemm)(float* c, int64_t ldc, const float* a, int64_t lda, bool a_trans, const float* b,
               int64_t ldb, int m, int n, int k, bool accumulate);
  // gemm on a tile the causal diagonal crosses, skipping what no row can see (Band above).
  void (*gemm_band)(float* c, int64_t ldc, const float* a, int64_t lda, bool a_trans, const float* b,
                    int64_t ldb, int m, int n, int k, bool accumulate, Band band, int64_t delta);
  // s[j] = s[j]*scale + slope*(j0 + j) for j in [0, n); returns the maximum (n >= 1).
  float (*scale_bias_max)(float* s, int n, float scale, float slope, float j0);
  // s[j] = exp(s[j] - m) for j in [0, n); returns the sum.
  float (*exp_sum)(float* s, int n, float m);
  // y[j] *= a for j in [0, n).
  void (*scale)(float* y, int n, float a);
  // ds[j] = p[j] * (dp[j] - d) * scale for j in [0, n).
  void (*softmax_grad)(float* ds, const float* p, const float* dp, int n, float d, float scale);
  // Returns sum_j x[j] * y[j].
  float (*dot)(const float* x, const float* y, int n);
  // z[j] = x[j] * y[j] for j in [0, n); z may alias x or y.
  void (*mul)(float* z, const float* x, const float* y, int n);
  // Attention dropout (attention-dropout.h): y[j] = keep(counter + j) ? y[j] * c : 0, for y >= 0.
  void (*dropout)(float* y, int n, uint64_t counter, uint64_t seed, uint32_t threshold, float c);
  // dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols (packing Kᵀ and Vᵀ tiles).
  void (*transpose)(float* dst, int64_t ldd, const float* src, int64_t lds, int rows, int cols);
  // Returns max_j s[j] (n >= 1).
  float (*row_max)(const float* s, int n);
  // s[j] = 2^(s[j]·c − mc) for j in [0, n); returns the sum. With c = scale·log2(e) and
  // mc = m·log2(e) that is exp(scale·s − m), the softmax weights without a scaling pass.
  float (*exp2_sum)(float* s, int n, float c, float mc);
  // s[j] = dot(x, rows + j·ld) over len elements, for j in [0, n) (a decode step's scores).
  void (*dot_rows)(float* s, const float* x, const float* rows, int64_t ld, int n, int len);
};

const IsaOps& ops_scalar();
const IsaOps& ops_avx2();
const IsaOps& ops_avx512();

}  // namespace neox::attn
