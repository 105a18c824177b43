// Embedding gather (forward) and scatter-add (backward).
#include "embedding.h"

#include <cstring>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

namespace {
int64_t first_bad_id(const int32_t* ids, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n) {
    if (ids[n] < 0 || ids[n] >= V) return n;
  }
  return -1;
}
}  // namespace

int64_t embedding_forward(float* out, const int32_t* ids, const float* weight, int64_t N, int64_t C,
                          int64_t V) {
  int64_t bad = first_bad_id(ids, N, V);
  if (bad >= 0) return bad;
  parallel_for(N, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      std::memcpy(out + n * C, weight + static_cast<int64_t>(ids[n]) * C, static_cast<size_t>(C) * sizeof(float));
    }
  });
  return -1;
}

int64_t embedding_backward(float* dweight, const float* dout, const int32_t* ids, int64_t N, int64_t C,
                           int64_t V) {
  int64_t bad = first_bad_id(ids, N, V);
  if (bad >= 0) return bad;
  // Column ranges of whole vectors (64 floats) keep each thread on its own cache lines.
  int64_t blocks = (C + 63) / 64;
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    int64_t c0 = b * 64, c1 = e * 64 < C ? e * 64 : C;
    for (int64_t n = 0; n < N; ++n) {
      float* dst = dweight + static_cast<int64_t>(ids[n]) * C;
      const float* src = dout + n * C;
      for (int64_t c = c0; c < c1; c += VecF::W) {
        int k = lanes(c, c1);
        (VecF::load(dst + c, k) + VecF::load(src + c, k)).store(dst + c, k);
      }
    }
  });
  return -1;
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
int64_t embedding_forward(float* out, const int32_t* ids, const float* weight, int64_t N, int64_t C,
                          int64_t V) {
  NEOX_DISPATCH(embedding_forward, out, ids, weight, N, C, V);
}
int64_t embedding_backward(float* dweight, const float* dout, const int32_t* ids, int64_t N, int64_t C,
                           int64_t V) {
  NEOX_DISPATCH(embedding_backward, dweight, dout, ids, N, C, V);
}
}  // namespace neox
#endif
