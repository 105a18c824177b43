// Token embedding lookup. N tokens, C channels, V rows in the table (vocabulary).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out[n, :] = weight[ids[n], :]. Returns -1, or the first n whose id is outside [0, V) (then
    // nothing is written).
    int64_t embedding_forward(float* out, const int32_t* ids, const float* weight, int64_t N, int64_t C,
                              int64_t V);
    // dweight[ids[n], :] += dout[n, :] (scatter-add; parameter gradients accumulate). Threads own
    // column ranges, so repeated ids never race and the sum order is fixed. Same return as forward.
    int64_t embedding_backward(float* dweight, const float* dout, const int32_t* ids, int64_t N, int64_t C,
                               int64_t V);)
}  // namespace neox
