// Internal to the GEMM: the micro-kernel table each ISA file fills in, and the packed layouts.
//
// Packed layouts (BLIS style), for a KC-deep slice:
//   A block (mc x kc): strips of MR rows; strip s holds, for each k, MR values (rows padded with 0).
//   B block (kc x nc): strips of NR columns; strip s holds, for each k, NR values (padded with 0).
// bf16 kernels pack K in pairs: each packed element is a uint32 holding (k even, k odd) bf16 values,
// the operand layout of vdpbf16ps; K is padded to even with zeros. fp16 sources have no such kernel
// on x86 (no fp16 FMA before AVX512-FP16): they are widened to fp32 while packing (exact).
#pragma once

#include <cstdint>
#include <cstring>

namespace neox::gemm_detail {

// Element type of the A and B sources: fp32, or 16-bit raw bits (bf16 or IEEE fp16).
enum class Src : uint8_t { F32, Bf16, F16 };

// C tile (m <= MR rows, n <= NR cols at c, row stride ldc):
//   accumulate: C += alpha * acc; else if beta == 0: C = alpha * acc; else C = alpha * acc + beta * C.
// kc counts packed K steps (pairs for bf16).
using MicroKernel = void (*)(int64_t kc, const void* a, const void* b, float* c, int64_t ldc, int m, int n,
                             float alpha, float beta, bool accumulate);

// Packs strips of `width` source rows whose k runs along memory (A not transposed: rows are i;
// B transposed: rows are j) into fp32 strips: dst[s*kc + k*width + r] = src[(row0+s+r)*ld + k0+k],
// zero past `rows`. The source is fp32, or bf16 / fp16 bits widened exactly.
using PackRows = void (*)(const void* src, int64_t ld, Src kind, int64_t row0, int64_t rows, int64_t k0,
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

// bf16 bits widened to fp32 (exact).
inline float bf16_to_f32(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// fp16 bits widened to fp32 (exact), inline and branch-light so the packing loops vectorise. Normals
// rebias the exponent by integer addition; subnormals (m * 2^-24) go through an int -> float
// conversion, so no fp32 denormal is ever an operand (denormal inputs cost microcode assists on some
// cores and vanish under DAZ); Inf/NaN get fp32's all-ones exponent, NaN made quiet as F16C does.
inline float f16_to_f32(uint16_t h) {
  const uint32_t exp = h & 0x7c00u, man = h & 0x3ffu;
  uint32_t bits = (static_cast<uint32_t>(h & 0x7fff) << 13) + ((127u - 15u) << 23);
  if (exp == 0) {
    const float sub = static_cast<float>(man) * 0x1p-24f;
    std::memcpy(&bits, &sub, 4);
  } else if (exp == 0x7c00u) {
    bits = 0x7f800000u | (man << 13) | (man ? 0x400000u : 0u);
  }
  bits |= static_cast<uint32_t>(h & 0x8000) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Element `i` of a source of type `kind` as fp32 (every widening is exact).
inline float src_f32(const void* src, Src kind, int64_t i) {
  switch (kind) {
    case Src::Bf16:
      return bf16_to_f32(static_cast<const uint16_t*>(src)[i]);
    case Src::F16:
      return f16_to_f32(static_cast<const uint16_t*>(src)[i]);
    default:
      return static_cast<const float*>(src)[i];
  }
}

// One GEMM call as the driver sees it: C = alpha * op(A) op(B) + beta * C, sources fp32, bf16 or fp16.
struct Problem {
  const void* A;
  int64_t lda;
  bool ta;
  const void* B;
  int64_t ldb;
  bool tb;
  Src src;
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

// M <= 8 without packing (gemm-skinny-avx512.cc): `a` is op(A) as contiguous fp32 rows (M x K), B
// fp32, bf16 or fp16 bits, transposed or not; C = alpha * a * op(B) + beta * C. `dot`: bf16 A and B
// (the rows of `a` hold bf16 values) may run on vdpbf16ps (the bf16 path is "dot").
constexpr int64_t kSkinnyMaxM = 8;
void skinny_avx512(int64_t M, int64_t N, int64_t K, const float* a, const void* B, int64_t ldb, bool trans_b, Src kind,
                   bool dot, float alpha, float beta, float* C, int64_t ldc);

}  // namespace neox::gemm_detail
