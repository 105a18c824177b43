// Dropout forward/backward with the counter-based mask described in dropout.h. The mask loop is
// plain 32-bit integer code that the compiler vectorises for each ISA copy; masks are bit-identical
// on every path.
#include "dropout.h"

#include "dropout-hash.h"
#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

namespace {
// y[i] = x[i] * keep(i) * scale for i in [b, e), element i having counter offset + i.
void apply_mask(float* y, const float* x, int64_t b, int64_t e, float p, uint64_t seed, uint64_t offset) {
  const uint32_t threshold = p >= 1.0f ? (1u << 24) : static_cast<uint32_t>(p * 16777216.0f);
  const float scale = p >= 1.0f ? 0.0f : 1.0f / (1.0f - p);
  int64_t i = b;
  while (i < e) {
    uint64_t j = offset + static_cast<uint64_t>(i);
    uint32_t hi = static_cast<uint32_t>(j >> 32);
    // Run to the end of the range or the next change of the counter's high word.
    uint64_t to_wrap = (uint64_t{1} << 32) - (j & 0xffffffffu);
    int64_t end = static_cast<uint64_t>(e - i) < to_wrap ? e : i + static_cast<int64_t>(to_wrap);
    uint32_t key = drop_key(seed, hi);
    uint32_t lo0 = static_cast<uint32_t>(j);
    int64_t count = end - i;
    const float* xs = x + i;
    float* ys = y + i;
    for (int64_t k = 0; k < count; ++k) {
      uint32_t r = drop_bits(lo0 + static_cast<uint32_t>(k), key);
      ys[k] = (r >> 8) >= threshold ? xs[k] * scale : 0.0f;
    }
    i = end;
  }
}
}  // namespace

void dropout_forward(float* out, const float* inp, int64_t n, float p, uint64_t seed, uint64_t offset) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) { apply_mask(out, inp, b, e, p, seed, offset); });
}

void dropout_backward(float* dinp, const float* dout, int64_t n, float p, uint64_t seed, uint64_t offset) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) { apply_mask(dinp, dout, b, e, p, seed, offset); });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void dropout_forward(float* out, const float* inp, int64_t n, float p, uint64_t seed, uint64_t offset) {
  NEOX_DISPATCH(dropout_forward, out, inp, n, p, seed, offset);
}
void dropout_backward(float* dinp, const float* dout, int64_t n, float p, uint64_t seed, uint64_t offset) {
  NEOX_DISPATCH(dropout_backward, dinp, dout, n, p, seed, offset);
}
}  // namespace neox
#endif
