// Fills, scaling and copies: the streaming ops the tape needs between the heavier kernels.
// n element count; strided copy shape (D0, D1, D2, D3) with input strides in elements.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    void fill_f32(float* out, float value, int64_t n);
    // out = alpha * inp (also the backward of itself: dinp = alpha * dout). out may alias inp.
    void scale_f32(float* out, const float* inp, float alpha, int64_t n);
    // out = a + alpha * b. out may alias a or b (used to accumulate gradients).
    void axpy_f32(float* out, const float* a, const float* b, float alpha, int64_t n);
    // out and inp must be the same buffer or not overlap (threads copy ranges independently).
    void copy_f32(float* out, const float* inp, int64_t n);
    // out[i0,i1,i2,i3] (contiguous) = inp[i0*s0 + i1*s1 + i2*s2 + i3*s3]: transposes and slices.
    void copy_strided_f32(float* out, const float* inp, int64_t D0, int64_t D1, int64_t D2, int64_t D3,
                          int64_t s0, int64_t s1, int64_t s2, int64_t s3);
    // Round to nearest even; NaN stays NaN.
    void cast_f32_to_bf16(uint16_t* out, const float* inp, int64_t n);
    void cast_bf16_to_f32(float* out, const uint16_t* inp, int64_t n);)
}  // namespace neox
