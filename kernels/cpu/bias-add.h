// Bias add over the last dimension. N rows, C channels.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out[n,c] = inp[n,c] + bias[c]; out may alias inp.
    void bias_add_forward(float* out, const float* inp, const float* bias, int64_t N, int64_t C);
    // dbias[c] += Σ_n dout[n,c] (parameter gradients accumulate); dinp is dout itself.
    void bias_add_backward(float* dbias, const float* dout, int64_t N, int64_t C);)
}  // namespace neox
