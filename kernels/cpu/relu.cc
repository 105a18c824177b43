// ReLU forward and backward.
#include "relu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

void relu_forward(float* out, const float* inp, int64_t n) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(inp + i);
      // vmax returns its second operand when either is NaN, so NaN inputs pass through.
      store_out(out + i, vmax(VecF::zero(), VecF::load(inp + i, k)), k, nt);
    }
    stream_fence(nt);
  });
}

void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(dout + i);
      prefetch_ahead(inp + i);
      store_out(dinp + i, select_lt(VecF::zero(), VecF::load(inp + i, k), VecF::load(dout + i, k), VecF::zero()), k,
                nt);
    }
    stream_fence(nt);
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void relu_forward(float* out, const float* inp, int64_t n) { NEOX_DISPATCH(relu_forward, out, inp, n); }
void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  NEOX_DISPATCH(relu_backward, dinp, dout, inp, n);
}
}  // namespace neox
#endif
