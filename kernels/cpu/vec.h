// One float vector type per ISA, chosen by the flags of the translation unit that includes this
// header: `*-avx512.cc` files see 16 lanes of __m512, `*-avx2.cc` files 8 lanes of __m256, every
// other file one plain float. Kernels are written once against `VecF` and compiled three times (see
// layer-norm.cc for the pattern). Everything lives in a namespace named after the ISA
// (`neox::isa_avx512`, ...), so the three copies never share a symbol and the linker cannot pick
// an AVX-512 copy of a helper for the scalar path.
//
// Transcendentals (exp, erfc, the normal CDF) are our own polynomials on the vector paths, so the
// addon needs no libmvec; the scalar path calls libm. Accuracy, measured over [-20, 20] in steps of
// 1e-4 against long double libm: exp 9e-8 relative; the normal CDF (vnormal_tail) 1.2e-6
// relative down to 1e-10 and 4e-6 down to 1e-30 (the rounding of x² inside exp dominates; libm's
// erfcf on x/√2 gives 3.8e-6 and 1.4e-5, as the erfc form here did before); the parity tests
// check GELU, SiLU and softmax built on them.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || defined(__AVX2__)
// GCC 12 reports its own _mm512_undefined_* placeholders inside immintrin.h as "maybe
// uninitialized" once inlined; the warning is about the header, not our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#define NEOX_VEC_NS isa_avx512
#elif defined(__AVX2__)
#define NEOX_VEC_NS isa_avx2
#else
#define NEOX_VEC_NS isa_scalar
#endif

namespace neox {
namespace NEOX_VEC_NS {

// bf16 <-> f32 on scalars: round to nearest even, NaN kept quiet. Same bits on every path.
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_to_f32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

#if defined(__AVX512F__)
struct VecF {
  static constexpr int W = 16;
  __m512 v;
  static VecF of(__m512 x) { return VecF{x}; }
  static VecF set1(float x) { return of(_mm512_set1_ps(x)); }
  static VecF zero() { return of(_mm512_setzero_ps()); }
  static __mmask16 mask(int n) { return n >= W ? __mmask16(0xffff) : __mmask16((1u << n) - 1u); }
  // n lanes from p (n <= W); missing lanes are zero.
  static VecF load(const float* p, int n = W) {
    return n >= W ? of(_mm512_loadu_ps(p)) : of(_mm512_maskz_loadu_ps(mask(n), p));
  }
  void store(float* p, int n = W) const {
    if (n >= W) _mm512_storeu_ps(p, v);
    else _mm512_mask_storeu_ps(p, mask(n), v);
  }
  static VecF load_bf16(const uint16_t* p, int n = W) {
    __m256i h = n >= W ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))
                       : _mm256_maskz_loadu_epi16(mask(n), p);
    return of(_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)));
  }
  // vcvtneps2bf16 (AVX512_BF16, required by the AVX-512 path, see runtime.cc) rounds to nearest
  // even and quiets NaN exactly as f32_to_bf16 does, but flushes fp32 subnormal inputs to zero: a
  // vector holding one takes the integer path instead, so the bits match the scalar helper.
  __m256i bf16_bits() const {
    if (_mm512_fpclass_ps_mask(v, 0x20) == 0) return (__m256i)_mm512_cvtneps_pbh(v);  // 0x20: denormal
    __m512i u = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x400000));
    return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
  }
  void store_bf16(uint16_t* p, int n = W) const {
    __m256i h = bf16_bits();
    if (n >= W) _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), h);
    else _mm256_mask_storeu_epi16(p, mask(n), h);
  }
  float sum() const { return _mm512_reduce_add_ps(v); }
  float max() const { return _mm512_reduce_max_ps(v); }
};
inline VecF operator+(VecF a, VecF b) { return VecF::of(_mm512_add_ps(a.v, b.v)); }
inline VecF operator-(VecF a, VecF b) { return VecF::of(_mm512_sub_ps(a.v, b.v)); }
inline VecF operator*(VecF a, VecF b) { return VecF::of(_mm512_mul_ps(a.v, b.v)); }
inline VecF operator/(VecF a, VecF b) { return VecF::of(_mm512_div_ps(a.v, b.v)); }
inline VecF fma(VecF a, VecF b, VecF c) { return VecF::of(_mm512_fmadd_ps(a.v, b.v, c.v)); }
inline VecF fnma(VecF a, VecF b, VecF c) { return VecF::of(_mm512_fnmadd_ps(a.v, b.v, c.v)); }
inline VecF vmax(VecF a, VecF b) { return VecF::of(_mm512_max_ps(a.v, b.v)); }
inline VecF vmin(VecF a, VecF b) { return VecF::of(_mm512_min_ps(a.v, b.v)); }
inline VecF vsqrt(VecF a) { return VecF::of(_mm512_sqrt_ps(a.v)); }
inline VecF vabs(VecF a) { return VecF::of(_mm512_abs_ps(a.v)); }
// Copies the sign of s onto the magnitude of a.
inline VecF vcopysign(VecF a, VecF s) {
  __m512i m = _mm512_set1_epi32(0x7fffffff);
  return VecF::of(_mm512_castsi512_ps(_mm512_ternarylogic_epi32(m, _mm512_castps_si512(a.v),
                                                                 _mm512_castps_si512(s.v), 0xca)));  // m ? a : s
}
// lanes where a < b take x, others y.
inline VecF select_lt(VecF a, VecF b, VecF x, VecF y) {
  return VecF::of(_mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ), y.v, x.v));
}
inline VecF vround(VecF a) { return VecF::of(_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT)); }
// 1/a: 14-bit estimate refined by one Newton step (about 2^-27 relative).
inline VecF vrcp(VecF a) {
  __m512 r = _mm512_rcp14_ps(a.v);
  return VecF::of(_mm512_mul_ps(r, _mm512_fnmadd_ps(a.v, r, _mm512_set1_ps(2.0f))));
}
// Lanes from k on set to zero.
inline VecF keep_first(VecF a, int k) { return VecF::of(_mm512_maskz_mov_ps(VecF::mask(k), a.v)); }
// k lanes from p, the rest `fill`.
inline VecF load_or(const float* p, int k, float fill) {
  return VecF::of(_mm512_mask_loadu_ps(_mm512_set1_ps(fill), VecF::mask(k), p));
}
// Output store for streaming kernels: a full, 64-byte aligned vector goes around the cache
// (non-temporal) when `nt` is set, saving the read-for-ownership of a write-allocate; anything else
// is a normal store. Call stream_fence() before the range ends. store_out_bf16 does the same for
// bf16 outputs (a full vector of bf16 is part of a line; consecutive ones fill it).
inline void store_out(float* p, VecF v, int k, bool nt) {
  if (nt && k == VecF::W && (reinterpret_cast<uintptr_t>(p) & 63) == 0) _mm512_stream_ps(p, v.v);
  else v.store(p, k);
}
inline void store_out_bf16(uint16_t* p, VecF v, int k, bool nt) {
  if (nt && k == VecF::W && (reinterpret_cast<uintptr_t>(p) & 31) == 0)
    _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v.bf16_bits());
  else v.store_bf16(p, k);
}
// Two full vectors a, b as bf16 at p, p + W: one whole-line non-temporal store when aligned (two
// half-line ones can leave a write-combining buffer partly filled, which memory handles slowly).
inline void store_out_bf16_pair(uint16_t* p, VecF a, VecF b, bool nt) {
  if (nt && (reinterpret_cast<uintptr_t>(p) & 63) == 0) {
    _mm512_stream_si512(reinterpret_cast<__m512i*>(p),
                        _mm512_inserti64x4(_mm512_castsi256_si512(a.bf16_bits()), b.bf16_bits(), 1));
  } else {
    store_out_bf16(p, a, VecF::W, nt);
    store_out_bf16(p + VecF::W, b, VecF::W, nt);
  }
}
inline void stream_fence(bool nt) {
  if (nt) _mm_sfence();
}
// p·2^n for integral n (vscalefps: one instruction, exact).
inline VecF vldexp(VecF p, VecF n) { return VecF::of(_mm512_scalef_ps(p.v, n.v)); }
#elif defined(__AVX2__)
struct VecF {
  static constexpr int W = 8;
  __m256 v;
  static VecF of(__m256 x) { return VecF{x}; }
  static VecF set1(float x) { return of(_mm256_set1_ps(x)); }
  static VecF zero() { return of(_mm256_setzero_ps()); }
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static VecF load(const float* p, int n = W) {
    return n >= W ? of(_mm256_loadu_ps(p)) : of(_mm256_maskload_ps(p, mask(n)));
  }
  void store(float* p, int n = W) const {
    if (n >= W) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, mask(n), v);
  }
  static VecF load_bf16(const uint16_t* p, int n = W) {
    __m128i h;
    if (n >= W) {
      h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    } else {
      alignas(16) uint16_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int i = 0; i < n; ++i) tmp[i] = p[i];
      h = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
    }
    return of(_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)));
  }
  __m128i bf16_bits() const {
    __m256i u = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb);
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, _mm256_or_si256(u, _mm256_set1_epi32(0x400000)), nan);
    r = _mm256_srli_epi32(r, 16);
    // packus works on the two 128-bit halves: the low half's four words, then the high half's.
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  }
  void store_bf16(uint16_t* p, int n = W) const {
    __m128i h = bf16_bits();
    if (n >= W) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), h);
    } else {
      alignas(16) uint16_t tmp[8];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), h);
      for (int i = 0; i < n; ++i) p[i] = tmp[i];
    }
  }
  float sum() const {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  float max() const {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
inline VecF operator+(VecF a, VecF b) { return VecF::of(_mm256_add_ps(a.v, b.v)); }
inline VecF operator-(VecF a, VecF b) { return VecF::of(_mm256_sub_ps(a.v, b.v)); }
inline VecF operator*(VecF a, VecF b) { return VecF::of(_mm256_mul_ps(a.v, b.v)); }
inline VecF operator/(VecF a, VecF b) { return VecF::of(_mm256_div_ps(a.v, b.v)); }
inline VecF fma(VecF a, VecF b, VecF c) { return VecF::of(_mm256_fmadd_ps(a.v, b.v, c.v)); }
inline VecF fnma(VecF a, VecF b, VecF c) { return VecF::of(_mm256_fnmadd_ps(a.v, b.v, c.v)); }
inline VecF vmax(VecF a, VecF b) { return VecF::of(_mm256_max_ps(a.v, b.v)); }
inline VecF vmin(VecF a, VecF b) { return VecF::of(_mm256_min_ps(a.v, b.v)); }
inline VecF vsqrt(VecF a) { return VecF::of(_mm256_sqrt_ps(a.v)); }
inline VecF vabs(VecF a) {
  return VecF::of(_mm256_and_ps(a.v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))));
}
inline VecF vcopysign(VecF a, VecF s) {
  __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(int(0x80000000u)));
  return VecF::of(_mm256_or_ps(_mm256_andnot_ps(sign, a.v), _mm256_and_ps(sign, s.v)));
}
inline VecF select_lt(VecF a, VecF b, VecF x, VecF y) {
  return VecF::of(_mm256_blendv_ps(y.v, x.v, _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)));
}
inline VecF vround(VecF a) {
  return VecF::of(_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
// 1/a by division: the AVX2 estimate (12 bits) plus one Newton step is only ~2^-22.
inline VecF vrcp(VecF a) { return VecF::of(_mm256_div_ps(_mm256_set1_ps(1.0f), a.v)); }
inline VecF keep_first(VecF a, int k) {
  return k >= VecF::W ? a : VecF::of(_mm256_and_ps(a.v, _mm256_castsi256_ps(VecF::mask(k))));
}
inline VecF load_or(const float* p, int k, float fill) {
  if (k >= VecF::W) return VecF::load(p);
  return VecF::of(_mm256_blendv_ps(_mm256_set1_ps(fill), VecF::load(p, k).v, _mm256_castsi256_ps(VecF::mask(k))));
}
inline void store_out(float* p, VecF v, int k, bool nt) {
  if (nt && k == VecF::W && (reinterpret_cast<uintptr_t>(p) & 31) == 0) _mm256_stream_ps(p, v.v);
  else v.store(p, k);
}
inline void store_out_bf16(uint16_t* p, VecF v, int k, bool nt) {
  if (nt && k == VecF::W && (reinterpret_cast<uintptr_t>(p) & 15) == 0)
    _mm_stream_si128(reinterpret_cast<__m128i*>(p), v.bf16_bits());
  else v.store_bf16(p, k);
}
inline void store_out_bf16_pair(uint16_t* p, VecF a, VecF b, bool nt) {
  if (nt && (reinterpret_cast<uintptr_t>(p) & 31) == 0) {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(p), _mm256_set_m128i(b.bf16_bits(), a.bf16_bits()));
  } else {
    store_out_bf16(p, a, VecF::W, nt);
    store_out_bf16(p + VecF::W, b, VecF::W, nt);
  }
}
inline void stream_fence(bool nt) {
  if (nt) _mm_sfence();
}
// p·2^n for integral n in [-126, 127] (n added to the exponent field of 1.0).
inline VecF vldexp(VecF p, VecF n) {
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127)), 23);
  return VecF::of(_mm256_mul_ps(p.v, _mm256_castsi256_ps(e)));
}
#else
struct VecF {
  static constexpr int W = 1;
  float v;
  static VecF of(float x) { return VecF{x}; }
  static VecF set1(float x) { return of(x); }
  static VecF zero() { return of(0.0f); }
  static VecF load(const float* p, int = W) { return of(*p); }
  void store(float* p, int = W) const { *p = v; }
  static VecF load_bf16(const uint16_t* p, int = W) { return of(bf16_to_f32(*p)); }
  void store_bf16(uint16_t* p, int = W) const { *p = f32_to_bf16(v); }
  float sum() const { return v; }
  float max() const { return v; }
};
inline VecF operator+(VecF a, VecF b) { return VecF::of(a.v + b.v); }
inline VecF operator-(VecF a, VecF b) { return VecF::of(a.v - b.v); }
inline VecF operator*(VecF a, VecF b) { return VecF::of(a.v * b.v); }
inline VecF operator/(VecF a, VecF b) { return VecF::of(a.v / b.v); }
inline VecF fma(VecF a, VecF b, VecF c) { return VecF::of(std::fma(a.v, b.v, c.v)); }
inline VecF fnma(VecF a, VecF b, VecF c) { return VecF::of(std::fma(-a.v, b.v, c.v)); }
inline VecF vmax(VecF a, VecF b) { return VecF::of(a.v > b.v ? a.v : b.v); }
inline VecF vmin(VecF a, VecF b) { return VecF::of(a.v < b.v ? a.v : b.v); }
inline VecF vsqrt(VecF a) { return VecF::of(std::sqrt(a.v)); }
inline VecF vabs(VecF a) { return VecF::of(std::fabs(a.v)); }
inline VecF vcopysign(VecF a, VecF s) { return VecF::of(std::copysign(a.v, s.v)); }
inline VecF select_lt(VecF a, VecF b, VecF x, VecF y) { return a.v < b.v ? x : y; }
inline VecF keep_first(VecF a, int) { return a; }
inline VecF vrcp(VecF a) { return VecF::of(1.0f / a.v); }
inline void store_out(float* p, VecF v, int, bool) { v.store(p); }
inline void store_out_bf16(uint16_t* p, VecF v, int, bool) { v.store_bf16(p); }
inline void store_out_bf16_pair(uint16_t* p, VecF a, VecF b, bool) {
  a.store_bf16(p);
  b.store_bf16(p + 1);
}
inline void stream_fence(bool) {}
inline VecF load_or(const float* p, int, float) { return VecF::load(p); }
#endif

inline VecF operator-(VecF a) { return VecF::zero() - a; }

#if defined(__AVX512F__) || defined(__AVX2__)
// Adding 1.5·2^23 to a float of magnitude below 2^22 rounds it to an integer (to nearest even) in
// one FMA; subtracting it again gives that integer as a float.
constexpr float kRoundShift = 12582912.0f;

// exp(x) for x in [-87.3, 88.3] or NaN: x = n·ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2),
// exp(r) by a degree-6 polynomial with p(0) = 1 fitted by tools/fixtures/kernels/fit-exp.py
// (9.7e-8 relative in fp32, Horner), times 2^n.
inline VecF vexp_in_range(VecF x) {
  VecF n = fma(x, VecF::set1(1.44269504088896341f), VecF::set1(kRoundShift)) - VecF::set1(kRoundShift);
  VecF r = fma(n, VecF::set1(-0.693359375f), x);  // ln2 high part (exact product)
  r = fma(n, VecF::set1(2.12194440e-4f), r);      // ln2 low part: ln2 = 0.693359375 - 2.1219444e-4
  VecF p = VecF::set1(0.0013843652559444308f);
  p = fma(p, r, VecF::set1(0.008374156430363655f));
  p = fma(p, r, VecF::set1(0.04166800156235695f));
  p = fma(p, r, VecF::set1(0.16666431725025177f));
  p = fma(p, r, VecF::set1(0.4999999403953552f));
  p = fma(p, r, VecF::set1(1.0f));
  p = fma(p, r, VecF::set1(1.0f));
  return vldexp(p, n);
}
// exp(x) for any x. Inputs are clamped to [-87.3, 88.3] so 2^n stays a normal float (exp(-87.3)
// ~ 1.2e-38 stands in for the subnormal tail). The clamp keeps NaN: x86 min/max return their
// second operand when either is NaN, so x goes second.
inline VecF vexp(VecF x) { return vexp_in_range(vmax(VecF::set1(-87.3f), vmin(VecF::set1(88.3f), x))); }
// exp(x) for x <= 0 (softmax terms x - max): only the lower clamp.
inline VecF vexp_nonpos(VecF x) { return vexp_in_range(vmax(VecF::set1(-87.3f), x)); }

// The normal lower tail h = Φ(-a) = 0.5·erfc(a/√2) for a in [0, 13], and the density
// φ(a) = exp(-a²/2)/√(2π) in *density. h = φ(a)·M(a) with the Mills ratio M(a) ≈ P(t),
// t = 1/(1 + 0.405·a), P of degree 8 (3.8e-7 relative in fp32); φ(a) = 2^n·q(s) with
// n = round(-a²/2·log2 e), s = a² + 2n·ln2 in [-ln2, ln2] and q(s) ≈ exp(-s/2)/√(2π) of degree 6
// (1.3e-7), both fitted by tools/fixtures/kernels/fit-normal.py. a² is rounded once (no rounding of
// a/√2), so h keeps about 1e-6 relative accuracy down to 1e-10 and 4e-6 down to 1e-37. Φ(-13) ≈
// 6e-39 is the bottom of fp32's normal range: callers clamp a to 13 (2^n stays normal for AVX2's
// vldexp). One exponential serves both h and φ (GELU's value and derivative).
inline VecF vnormal_tail(VecF a, VecF* density) {
  VecF t = vrcp(fma(VecF::set1(0.405f), a, VecF::set1(1.0f)));
  VecF m = VecF::set1(-0.10362012684345245f);
  m = fma(m, t, VecF::set1(0.5105351805686951f));
  m = fma(m, t, VecF::set1(-0.9178159832954407f));
  m = fma(m, t, VecF::set1(0.5754907131195068f));
  m = fma(m, t, VecF::set1(-0.003686211071908474f));
  m = fma(m, t, VecF::set1(0.3892553746700287f));
  m = fma(m, t, VecF::set1(0.39757564663887024f));
  m = fma(m, t, VecF::set1(0.40559980273246765f));
  m = fma(m, t, VecF::set1(-2.0405292161740363e-05f));
  VecF u = a * a;
  VecF n = fma(u, VecF::set1(-0.72134752044448170f), VecF::set1(kRoundShift)) - VecF::set1(kRoundShift);
  VecF s = fma(n, VecF::set1(1.38671875f), u);  // 2·ln2 high part (exact product)
  s = fma(n, VecF::set1(-4.2438888e-4f), s);    // 2·ln2 low part
  VecF q = VecF::set1(8.625158443464898e-06f);
  q = fma(q, s, VecF::set1(-0.00010440838377689943f));
  q = fma(q, s, VecF::set1(0.00103895110078156f));
  q = fma(q, s, VecF::set1(-0.008311174809932709f));
  q = fma(q, s, VecF::set1(0.04986777529120445f));
  q = fma(q, s, VecF::set1(-0.1994711458683014f));
  q = fma(q, s, VecF::set1(0.3989422917366028f));
  *density = vldexp(q, n);
  return *density * m;
}
#else
// Same clamp as the vector paths (NaN fails both comparisons and stays NaN).
inline VecF vexp(VecF x) { return VecF::of(std::exp(x.v > 88.3f ? 88.3f : x.v < -87.3f ? -87.3f : x.v)); }
inline VecF vexp_nonpos(VecF x) { return VecF::of(std::exp(x.v)); }
inline VecF vnormal_tail(VecF a, VecF* density) {
  *density = VecF::of(0.39894228040143268f * std::exp(-0.5f * a.v * a.v));
  return VecF::of(0.5f * std::erfc(a.v * 0.70710678118654752f));
}
#endif

// Software prefetch for streaming loops that do a lot of arithmetic per line (GELU, exp, norms):
// there the hardware prefetcher alone left the loop waiting on memory (exact GELU over 64 MB: 10.9
// -> 6.6 ms on one core of the Xeon these were tuned on). Call once per 64-byte line read, with
// the address kPrefetchAhead floats ahead of the current one; prefetches never fault, so running
// past the end of a buffer is harmless.
constexpr int64_t kPrefetchAhead = 512;
inline void prefetch_ahead(const float* p) { __builtin_prefetch(p + kPrefetchAhead, 0, 3); }

// Number of lanes left at index i of a row of n (W when a full vector fits).
inline int lanes(int64_t i, int64_t n) {
  int64_t left = n - i;
  return left >= VecF::W ? VecF::W : static_cast<int>(left);
}

}  // namespace NEOX_VEC_NS
}  // namespace neox
