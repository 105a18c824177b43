// Sums and means over the rows or the columns of a row-major matrix, for the tape's reductions
// and for bias gradients. N rows, C columns, ld row stride in elements (>= C, so a column slice
// of a wider matrix can be reduced in place).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out[c] = (accumulate ? out[c] : 0) + alpha * Σ_n inp[n*ld + c]; alpha = 1/N gives the mean.
    void sum_rows_f32(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                      bool accumulate);
    // out[n] = (accumulate ? out[n] : 0) + alpha * Σ_c inp[n*ld + c].
    void sum_cols_f32(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                      bool accumulate);)
}  // namespace neox
