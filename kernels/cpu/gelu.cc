// GELU forward and backward (formulas in gelu-math.h).
#include "gelu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "gelu-math.h"
#include "pointwise.h"

void gelu_forward(float* out, const float* inp, int64_t n, bool tanh_approx) {
  pointwise_forward(out, inp, n, [&](VecF x) { return gelu_value(x, tanh_approx); });
}

void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n, bool tanh_approx) {
  pointwise_backward(dinp, dout, inp, n, [&](VecF d, VecF x) { return d * gelu_grad(x, tanh_approx); });
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
