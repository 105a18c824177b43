// Residual add: out = a + b over n elements.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out may alias a or b.
    void residual_forward(float* out, const float* a, const float* b, int64_t n);
    // da = dout, db = dout (either may be null to skip it); da/db may alias dout.
    void residual_backward(float* da, float* db, const float* dout, int64_t n);)
}  // namespace neox
