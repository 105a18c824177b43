// Layer norm over the last dimension (torch.nn.LayerNorm): biased variance, eps inside the root.
// N rows, C channels. Activations fp32 or bf16 (`_bf16`: out/inp/dout/dinp are bf16 bit patterns);
// weight, bias, mean, rstd and their gradients are always fp32.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out = (inp - mean) * rstd * weight + bias, rstd = 1/sqrt(var + eps). weight/bias null =
    // 1 and 0 (non-parametric); mean/rstd null = not saved (inference).
    void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                           const float* bias, int64_t N, int64_t C, float eps);
    // dinp is overwritten; dweight/dbias accumulate (+=) and may be null.
    void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                            const float* weight, const float* mean, const float* rstd, int64_t N, int64_t C);
    void layernorm_forward_bf16(uint16_t* out, float* mean, float* rstd, const uint16_t* inp,
                                const float* weight, const float* bias, int64_t N, int64_t C, float eps);
    void layernorm_backward_bf16(uint16_t* dinp, float* dweight, float* dbias, const uint16_t* dout,
                                 const uint16_t* inp, const float* weight, const float* mean,
                                 const float* rstd, int64_t N, int64_t C);)
}  // namespace neox
