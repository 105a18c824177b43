// RMS norm over the last dimension with the eps inside the root (GPT-NeoX since #1345, as HF):
// y = x · rsqrt(mean(x²) + eps) · weight. N rows, C channels; `_bf16` takes bf16 activations,
// statistics and weights stay fp32.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // weight null = 1; rstd null = not saved.
    void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                         float eps);
    // dinp is overwritten; dweight accumulates (+=) and may be null.
    void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                          const float* rstd, int64_t N, int64_t C);
    void rmsnorm_forward_bf16(uint16_t* out, float* rstd, const uint16_t* inp, const float* weight, int64_t N,
                              int64_t C, float eps);
    void rmsnorm_backward_bf16(uint16_t* dinp, float* dweight, const uint16_t* dout, const uint16_t* inp,
                               const float* weight, const float* rstd, int64_t N, int64_t C);)
}  // namespace neox
