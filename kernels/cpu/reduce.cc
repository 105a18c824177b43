// Row and column sums. Backward of a sum is a broadcast (fill/bias-add), so only forward lives here.
// Column sums over rows use one partial row per thread, added in chunk order (deterministic for a
// given thread count); each partial is an fp32 running sum over at most N/threads rows.
#include "reduce.h"

#include <vector>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

void sum_rows_f32(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                  bool accumulate) {
  int64_t grain = row_grain(C);
  int64_t chunks = reduction_chunks(N, grain);
  std::vector<float> partial(static_cast<size_t>(chunks * C), 0.0f);
  int64_t per = (N + chunks - 1) / chunks;
  parallel_for(chunks, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t k = cb; k < ce; ++k) {
      float* acc = partial.data() + k * C;
      int64_t n1 = (k + 1) * per < N ? (k + 1) * per : N;
      for (int64_t n = k * per; n < n1; ++n) {
        const float* row = inp + n * ld;
        for (int64_t c = 0; c < C; c += VecF::W) {
          int w = lanes(c, C);
          (VecF::load(acc + c, w) + VecF::load(row + c, w)).store(acc + c, w);
        }
      }
    }
  });
  for (int64_t c = 0; c < C; ++c) {
    float s = 0.0f;
    for (int64_t k = 0; k < chunks; ++k) s += partial[static_cast<size_t>(k * C + c)];
    out[c] = (accumulate ? out[c] : 0.0f) + alpha * s;
  }
}

void sum_cols_f32(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                  bool accumulate) {
  parallel_for(N, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      const float* row = inp + n * ld;
      VecF acc = VecF::zero();
      for (int64_t c = 0; c < C; c += VecF::W) acc = acc + VecF::load(row + c, lanes(c, C));
      out[n] = (accumulate ? out[n] : 0.0f) + alpha * acc.sum();
    }
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void sum_rows_f32(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                  bool accumulate) {
  NEOX_DISPATCH(sum_rows_f32, out, inp, N, C, ld, alpha, accumulate);
}
void sum_cols_f32(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                  bool accumulate) {
  NEOX_DISPATCH(sum_cols_f32, out, inp, N, C, ld, alpha, accumulate);
}
}  // namespace neox
#endif
