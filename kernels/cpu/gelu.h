// GELU over n elements, exact (erf) or the tanh approximation GPT-NeoX uses with bias_gelu_fusion.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out may alias inp.
    void gelu_forward(float* out, const float* inp, int64_t n, bool tanh_approx);
    // dinp = dout * gelu'(inp); dinp may alias dout.
    void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n, bool tanh_approx);)
}  // namespace neox
