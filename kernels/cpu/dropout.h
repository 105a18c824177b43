// Inverted dropout with a counter-based mask: element i of a call keeps its value when
// uniform(seed, offset + i) >= p and is scaled by 1/(1-p). Backward regenerates the same mask from
// (seed, offset), so nothing is stored between forward and backward.
//
// uniform(seed, j): lo = j mod 2^32, hi = j >> 32,
//   key = h(seed_lo ^ h(seed_hi ^ h(hi + 0x9e3779b9))),  r = h(h(lo ^ key) + key),
//   uniform = (r >> 8) / 2^24,
// with h the 32-bit integer finaliser x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b;
// x ^= x>>16. The TypeScript reference and any GPU port compute the same bits.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // out may alias inp. p in [0, 1]; p = 1 zeroes everything.
    void dropout_forward(float* out, const float* inp, int64_t n, float p, uint64_t seed, uint64_t offset);
    // dinp = mask * dout / (1-p) with the forward's (seed, offset); dinp may alias dout.
    void dropout_backward(float* dinp, const float* dout, int64_t n, float p, uint64_t seed,
                          uint64_t offset);)
}  // namespace neox
