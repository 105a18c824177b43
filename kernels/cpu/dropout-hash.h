// The counter-based hash behind every dropout mask (dropout.h): the 32-bit finaliser h, the key of
// a counter's high word, and the 32 random bits of a counter's low word under that key:
//   key = h(seed_lo ^ h(seed_hi ^ h(hi + 0x9e3779b9))),  bits = h(h(lo ^ key) + key),
// an element kept iff (bits >> 8) >= floor(p·2^24). dropout.cc and attention-dropout.h both use it,
// so the attention's mask is the dense dropout's mask bit for bit. Internal linkage: each ISA's
// translation unit gets its own copy, vectorised with its own flags.
#pragma once

#include <cstdint>

namespace neox {
namespace {

inline uint32_t drop_mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

inline uint32_t drop_key(uint64_t seed, uint32_t hi) {
  return drop_mix32(static_cast<uint32_t>(seed) ^
                    drop_mix32(static_cast<uint32_t>(seed >> 32) ^ drop_mix32(hi + 0x9e3779b9u)));
}

inline uint32_t drop_bits(uint32_t lo, uint32_t key) { return drop_mix32(drop_mix32(lo ^ key) + key); }

}  // namespace
}  // namespace neox
