// The keep mask of attention dropout: the counter-based hash of dropout-hash.h, bit for bit, so
// element (b, h, i, j) of the probabilities is kept exactly when dropout_forward would keep
// element offset + ((b·NH + h)·Tq + i)·Tk + j of a dense tensor (counter layout in attention.h).
//
// The hash is dropout-hash.h's (counter c: lo = c mod 2^32, hi = c >> 32). One key serves
// every counter with the same high word, so a row costs two h() per element: 4 multiplies and 6
// shift-xors of 32-bit integers, which the compiler vectorises in each ISA's copy.
// Everything here has internal linkage: the scalar, AVX2 and AVX-512 translation units each get
// their own copy, compiled with their own flags (no shared symbol the linker could pick wrongly).
#pragma once

#include <cstdint>

#include "dropout-hash.h"

namespace neox::attn {
namespace {

// y[j] = keep(counter + j) ? y[j]·c : 0 for j in [0, n), y >= 0 and finite; threshold =
// floor(p·2^24).
inline void dropout_span(float* y, int n, uint64_t counter, uint64_t seed, uint32_t threshold, float c) {
  int j = 0;
  while (j < n) {
    const uint64_t at = counter + static_cast<uint64_t>(j);
    // Run to the end of the span or the next change of the counter's high word.
    const uint64_t to_wrap = (uint64_t{1} << 32) - (at & 0xffffffffu);
    const int end = static_cast<uint64_t>(n - j) < to_wrap ? n : j + static_cast<int>(to_wrap);
    const uint32_t hi = static_cast<uint32_t>(at >> 32);
    const uint32_t key = drop_key(seed, hi);
    const uint32_t lo0 = static_cast<uint32_t>(at);
    float* ys = y + j;
    const int count = end - j;
    for (int e = 0; e < count; ++e) {
      const uint32_t r = drop_bits(lo0 + static_cast<uint32_t>(e), key);
      // A multiply by c or 0 rather than a branch, so AVX2 vectorises it too (y >= 0 here: exp
      // weights or ones, so a dropped element is +0 exactly as the dropout kernel writes it).
      ys[e] *= (r >> 8) >= threshold ? c : 0.0f;
    }
    j = end;
  }
}

}  // namespace
}  // namespace neox::attn
