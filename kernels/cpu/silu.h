// SiLU (swish) over n elements: GPT-NeoX `activation: silu` and `swish` (x·σ(x), F.silu).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out may alias inp.
    void silu_forward(float* out, const float* inp, int64_t n);
    // dinp = dout * silu'(inp); dinp may alias dout.
    void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n);)
}  // namespace neox
