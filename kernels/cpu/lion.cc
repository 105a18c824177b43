// Multi-tensor Lion (formula in lion.h). Like adamw.cc: scalars formed in double (the betas and
// weight decays are doubles, as PyTorch's Python floats) and rounded once, an fp32 element update,
// blocks independent of each other (thread-count independent results).
#include "lion.h"

#include <vector>

#include "step-scalars.h"
#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "multi-tensor.h"

void lion_step(const LionTensor* tensors, int64_t count, double beta1, double beta2, const float* scalars) {
  if (scalars[kSlotFoundInf] != 0.0f) return;
  const float lr = scalars[kSlotLr];
  const VecF b1 = VecF::set1(static_cast<float>(beta1)), b2 = VecF::set1(static_cast<float>(beta2));
  const VecF one_minus_b1 = VecF::set1(static_cast<float>(1.0 - beta1));
  const VecF one_minus_b2 = VecF::set1(static_cast<float>(1.0 - beta2));
  const VecF gs = VecF::set1(scalars[kSlotGradScale]), lrv = VecF::set1(lr);
  const VecF zero = VecF::zero(), one = VecF::set1(1.0f), minus_one = VecF::set1(-1.0f);
  for_each_block(tensors, count, [&](const LionTensor& t, int64_t begin, int64_t end) {
    VecF decay = VecF::set1(
        static_cast<float>(1.0 - static_cast<double>(lr) * t.weight_decay));
    for (int64_t j = begin; j < end; j += VecF::W) {
      int k = lanes(j, end);
      VecF p = VecF::load(t.param + j, k) * decay;
      VecF g = VecF::load(t.grad + j, k) * gs;
      VecF m = VecF::load(t.m + j, k);
      VecF c = fma(one_minus_b1, g, b1 * m);
      // sign(c) with sign(±0) = 0: +1 where 0 < c, -1 where c < 0.
      VecF s = select_lt(zero, c, one, select_lt(c, zero, minus_one, zero));
      p = fnma(lrv, s, p);
      m = fma(one_minus_b2, g, b2 * m);
      p.store(t.param + j, k);
      m.store(t.m + j, k);
    }
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void lion_step(const LionTensor* tensors, int64_t count, double beta1, double beta2, const float* scalars) {
  NEOX_DISPATCH(lion_step, tensors, count, beta1, beta2, scalars);
}
}  // namespace neox
#endif
