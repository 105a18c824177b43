// fp32 <-> fp16 with AVX-512F, 16 lanes and masked tails (the Avx512 path).
#include <immintrin.h>

#include "convert.h"

namespace neox::convert_detail {

void f32_to_f16_avx512(uint16_t* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(k, inp + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_mask_storeu_epi16(out + i, k, h);
  }
}

void f16_to_f32_avx512(float* out, const uint16_t* inp, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(out + i, k, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, inp + i)));
  }
}

}  // namespace neox::convert_detail
