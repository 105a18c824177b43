// fp32 <-> fp16 conversion (IEEE binary16), round to nearest even, subnormals kept (no flush),
// overflow to infinity; NaN stays a quiet NaN keeping its sign and top mantissa bits (the F16C
// rule). fp16 values are raw uint16 bits. (fp32 <-> bf16 casts are in fill.h.)
#pragma once

#include <cstdint>

namespace neox {

void cast_f32_to_f16(uint16_t* out, const float* inp, int64_t n);
void cast_f16_to_f32(float* out, const uint16_t* inp, int64_t n);

namespace convert_detail {
// Per-ISA bodies over [0, n): convert-avx2.cc / convert-avx512.cc (F16C).
void f32_to_f16_avx2(uint16_t* out, const float* inp, int64_t n);
void f16_to_f32_avx2(float* out, const uint16_t* inp, int64_t n);
void f32_to_f16_avx512(uint16_t* out, const float* inp, int64_t n);
void f16_to_f32_avx512(float* out, const uint16_t* inp, int64_t n);
// Portable bit-level conversions of one value.
uint16_t f32_to_f16_bits(float f);
float f16_bits_to_f32(uint16_t h);
}  // namespace convert_detail

}  // namespace neox
