// Index of the largest element of each row of a row-major matrix: greedy decoding's next token
// from the logits without copying them to the host.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out[r] = the first c in [0, V) with inp[r·V + c] maximal, for r in [0, R) (V >= 1). NaN is
    // never greater than anything, so NaNs are skipped; a row of NaNs only gives 0.
    void argmax_rows_f32(int32_t* out, const float* inp, int64_t R, int64_t V);)
}  // namespace neox
