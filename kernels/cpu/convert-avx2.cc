// fp32 <-> fp16 with F16C, 8 lanes (the Avx2 path); the tail goes through the portable code.
#include <immintrin.h>

#include "convert.h"

namespace neox::convert_detail {

void f32_to_f16_avx2(uint16_t* out, const float* inp, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(inp + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) out[i] = f32_to_f16_bits(inp[i]);
}

void f16_to_f32_avx2(float* out, const uint16_t* inp, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(inp + i))));
  for (; i < n; ++i) out[i] = f16_bits_to_f32(inp[i]);
}

}  // namespace neox::convert_detail
