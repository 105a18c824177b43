// ReLU forward and backward.
#include "relu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "pointwise.h"

// vmax returns its second operand when either is NaN, so NaN inputs pass through; the gradient at 0
// is 0, as in PyTorch.
void relu_forward(float* out, const float* inp, int64_t n) {
  pointwise_forward(out, inp, n, [](VecF x) { return vmax(VecF::zero(), x); });
}

void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  pointwise_backward(dinp, dout, inp, n, [](VecF d, VecF x) { return select_lt(VecF::zero(), x, d, VecF::zero()); });
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
