// GELU forward and backward (formulas in gelu-math.h).
#include "gelu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "gelu-math.h"

void gelu_forward(float* out, const float* inp, int64_t n, bool tanh_approx) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(inp + i);
      store_out(out + i, gelu_value(VecF::load(inp + i, k), tanh_approx), k, nt);
    }
    stream_fence(nt);
  });
}

void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n, bool tanh_approx) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(dout + i);
      prefetch_ahead(inp + i);
      store_out(dinp + i, VecF::load(dout + i, k) * gelu_grad(VecF::load(inp + i, k), tanh_approx), k, nt);
    }
    stream_fence(nt);
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void gelu_forward(float* out, const float* inp, int64_t n, bool tanh_approx) {
  NEOX_DISPATCH(gelu_forward, out, inp, n, tanh_approx);
}
void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n, bool tanh_approx) {
  NEOX_DISPATCH(gelu_backward, dinp, dout, inp, n, tanh_approx);
}
}  // namespace neox
#endif
