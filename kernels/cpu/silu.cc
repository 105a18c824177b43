// SiLU forward and backward (formulas in gelu-math.h, shared with SwiGLU in glu.cc).
#include "silu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "gelu-math.h"
#include "pointwise.h"

void silu_forward(float* out, const float* inp, int64_t n) {
  pointwise_forward(out, inp, n, [&](VecF x) { return silu_value(x); });
}

void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  pointwise_backward(dinp, dout, inp, n, [&](VecF d, VecF x) { return d * silu_grad(x); });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void silu_forward(float* out, const float* inp, int64_t n) { NEOX_DISPATCH(silu_forward, out, inp, n); }
void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  NEOX_DISPATCH(silu_backward, dinp, dout, inp, n);
}
}  // namespace neox
#endif
