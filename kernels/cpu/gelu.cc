// GELU forward and backward (formulas in gelu-math.h).
#include "gelu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "gelu-math.h"

void gelu_forward(float* out, const float* inp, int64_t n, bool tanh_approx) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      gelu_value(VecF::load(inp + i, k), tanh_approx).store(out + i, k);
    }
  });
}

void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n, bool tanh_approx) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      (VecF::load(dout + i, k) * gelu_grad(VecF::load(inp + i, k), tanh_approx)).store(dinp + i, k);
    }
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
