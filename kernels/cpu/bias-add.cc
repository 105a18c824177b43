// Bias add: forward broadcasts the bias over rows, backward sums the gradient over rows.
#include "bias-add.h"

#include "reduce.h"
#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

void bias_add_forward(float* out, const float* inp, const float* bias, int64_t N, int64_t C) {
  const bool nt = streaming(N * C * 4);
  parallel_for(N, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      for (int64_t c = 0; c < C; c += VecF::W) {
        int w = lanes(c, C);
        store_out(out + n * C + c, VecF::load(inp + n * C + c, w) + VecF::load(bias + c, w), w, nt);
      }
    }
    stream_fence(nt);
  });
}

void bias_add_backward(float* dbias, const float* dout, int64_t N, int64_t C) {
  sum_rows_f32(dbias, dout, N, C, C, 1.0f, true);
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void bias_add_forward(float* out, const float* inp, const float* bias, int64_t N, int64_t C) {
  NEOX_DISPATCH(bias_add_forward, out, inp, bias, N, C);
}
void bias_add_backward(float* dbias, const float* dout, int64_t N, int64_t C) {
  NEOX_DISPATCH(bias_add_backward, dbias, dout, N, C);
}
}  // namespace neox
#endif
