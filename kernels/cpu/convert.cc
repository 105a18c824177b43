// fp32 <-> fp16: portable bit-level conversions and the ISA dispatch (see convert.h).
// The rounding trick for f32 -> f16 follows Fabian Giesen's float_to_half_fast3_rtne (public
// domain, 2016): normal results round by adding 0xfff plus the lowest kept bit; subnormal results
// let the FPU round by adding a magic power of two.
#include "convert.h"

#include <cstring>

#include "runtime.h"

namespace neox {
namespace convert_detail {

namespace {
inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace

uint16_t f32_to_f16_bits(float f) {
  uint32_t u = bits_of(f);
  const uint32_t sign = (u >> 16) & 0x8000;
  u &= 0x7fffffff;
  uint16_t o;
  if (u >= (127u + 16) << 23) {  // >= 2^16: infinity, NaN, or overflow
    o = u > 0x7f800000 ? static_cast<uint16_t>(0x7e00 | ((u >> 13) & 0x3ff)) : 0x7c00;
  } else if (u < (127u - 14) << 23) {  // below 2^-14: fp16 subnormal or zero
    const uint32_t magic = ((127u - 15) + (23 - 10) + 1) << 23;  // 0.5: aligns the fp16 ulp at bit 0
    o = static_cast<uint16_t>(bits_of(float_of(u) + float_of(magic)) - magic);
  } else {
    const uint32_t odd = (u >> 13) & 1;
    u += (static_cast<uint32_t>(15 - 127) << 23) + 0xfff + odd;  // rebias, round to nearest even
    o = static_cast<uint16_t>(u >> 13);                          // a carry into the exponent is right
  }
  return static_cast<uint16_t>(o | sign);
}

float f16_bits_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e == 0x1f) return float_of(sign | 0x7f800000 | (m << 13) | (m ? 0x400000 : 0));
  if (e == 0) {
    if (m == 0) return float_of(sign);
    // Subnormal: m * 2^-24, exact in fp32.
    float v = static_cast<float>(m) * float_of(0x33800000);
    return float_of(sign | bits_of(v));
  }
  return float_of(sign | ((e + 112) << 23) | (m << 13));
}

}  // namespace convert_detail

using namespace convert_detail;

namespace {
constexpr int64_t kGrain = 1 << 15;
}

void cast_f32_to_f16(uint16_t* out, const float* inp, int64_t n) {
  const Isa isa = active_isa();
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#if NEOX_HAVE_X86_KERNELS
    if (isa == Isa::Avx512) return f32_to_f16_avx512(out + b, inp + b, e - b);
    if (isa == Isa::Avx2) return f32_to_f16_avx2(out + b, inp + b, e - b);
#endif
    for (int64_t i = b; i < e; ++i) out[i] = f32_to_f16_bits(inp[i]);
  });
}

void cast_f16_to_f32(float* out, const uint16_t* inp, int64_t n) {
  const Isa isa = active_isa();
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#if NEOX_HAVE_X86_KERNELS
    if (isa == Isa::Avx512) return f16_to_f32_avx512(out + b, inp + b, e - b);
    if (isa == Isa::Avx2) return f16_to_f32_avx2(out + b, inp + b, e - b);
#endif
    for (int64_t i = b; i < e; ++i) out[i] = f16_bits_to_f32(inp[i]);
  });
}

}  // namespace neox
