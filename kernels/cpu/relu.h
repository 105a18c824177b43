// ReLU over n elements (GPT-NeoX `activation: relu`, F.relu).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out = max(inp, 0); NaN stays NaN (as F.relu). out may alias inp.
    void relu_forward(float* out, const float* inp, int64_t n);
    // dinp = dout where inp > 0, else 0 (torch's threshold_backward: the derivative at 0 is 0).
    // dinp may alias dout.
    void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n);)
}  // namespace neox
