// Internal to the GEMM: the micro-kernel table each ISA file fills in, and the packed layouts.
//
// Packed layouts (BLIS style), for a KC-deep slice:
//   A block (mc x kc): strips of MR rows; strip s holds, for each k, MR values (rows padded with 0).
//   B block (kc x nc): strips of NR columns; strip s holds, for each k, NR values (padded with 0).
// bf16 kernels pack K in pairs: each packed element is a uint32 holding (k even, k odd) bf16 values,
// the operand layout of vdpbf16ps; K is padded to even with zeros.
#pragma once

#include <cstdint>
#include <cstring>

namespace neox::gemm_detail {

// C tile (m <= MR rows, n <= NR cols at c, row stride ldc):
//   accumulate: C += alpha * acc; else if beta == 0: C = alpha * acc; else C = alpha * acc + beta * C.
// kc counts packed K steps (pairs for bf16).
using MicroKernel = void (*)(int64_t kc, const void* a, const void* b, float* c, int64_t ldc, int m, int n,
                             float alpha, float beta, bool accumulate);

// Packs strips of `width` source rows whose k runs along memory (A not transposed: rows are i;
// B transposed: rows are j) into fp32 strips: dst[s*kc + k*width + r] = src[(row0+s+r)*ld + k0+k],
// zero past `rows`. The source is fp32, or bf16 (raw bits) widened exactly when bf16_src.
using PackRows = void (*)(const void* src, int64_t ld, bool bf16_src, int64_t row0, int64_t rows, int64_t k0,
                          int64_t kc, int width, float* dst);

// bf16 pair packing of strips of `width` source rows or columns, K in [k0, k0 + kc), pair p holding
// k0 + 2p (low) and k0 + 2p + 1 (high, 0 past kc), zero past `count`:
//   PairRows (k runs along memory: A not transposed, B transposed):
//     dst[s*kp + p*width + r] = word at src[(row0+s+r)*ld + k0 + 2p]
//   PairCols (k runs across rows: A transposed, B not transposed):
//     dst[s*kp + p*width + c] = (src[(k0+2p)*ld + col0+s+c], src[(k0+2p+1)*ld + col0+s+c])
using PackPairs = void (*)(const uint16_t* src, int64_t ld, int64_t first, int64_t count, int64_t k0, int64_t kc,
                           int width, uint32_t* dst);

struct KernelSpec {
  const char* name;
  int mr, nr;
  int64_t kc, mc, nc;  // blocking; kc in source K elements (even for pair-packed kernels)
  bool bf16_pairs;     // packed elements are (k, k+1) bf16 pairs, else fp32
  MicroKernel micro;
  PackRows pack_rows;  // vectorised packing for the k-contiguous cases; nullptr: the portable loops
  PackPairs pair_rows = nullptr;  // vectorised pair packing; nullptr: the portable loops
  PackPairs pair_cols = nullptr;
};

// Source elements as fp32: fp32 as is, bf16 (raw bits) widened exactly.
inline float to_f32(float v) { return v; }
inline float to_f32(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// One GEMM call as the driver sees it: C = alpha * op(A) op(B) + beta * C, sources fp32 or bf16 bits.
struct Problem {
  const void* A;
  int64_t lda;
  bool ta;
  const void* B;
  int64_t ldb;
  bool tb;
  bool bf16_src;
  int64_t K;
  float alpha, beta;
  float* C;
  int64_t ldc;
};

// Pack an mc x kc block of op(A) / a kc x nc panel of op(B) in `ks`'s layout (gemm-pack.cc): the
// ISA's vectorised packing where it has one for the case, else portable loops.
void pack_a(const KernelSpec& ks, const Problem& p, int64_t i0, int64_t k0, int64_t mc, int64_t kc, void* dst);
void pack_b(const KernelSpec& ks, const Problem& p, int64_t k0, int64_t j0, int64_t kc, int64_t nc, void* dst);

// Filled in by gemm-avx512.cc / gemm-avx2.cc (absent on non-x86 builds).
const KernelSpec* avx512_f32_kernel();
const KernelSpec* avx512_bf16_kernel();
const KernelSpec* avx2_f32_kernel();

// M <= 4 without packing (gemm-skinny-avx512.cc): `a` is op(A) as contiguous fp32 rows (M x K), B
// fp32 or bf16 bits, transposed or not; C = alpha * a * op(B) + beta * C.
constexpr int64_t kSkinnyMaxM = 4;
void skinny_avx512(int64_t M, int64_t N, int64_t K, const float* a, const void* B, int64_t ldb, bool trans_b, bool bf16,
                   float alpha, float beta, float* C, int64_t ldc);

}  // namespace neox::gemm_detail
