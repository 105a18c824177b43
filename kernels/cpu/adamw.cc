// Multi-tensor AdamW (formula in adamw.h). Scalars are formed in double and rounded once, as
// PyTorch does with its Python-float hyperparameters; the element update is fp32. Every block is
// updated element-wise and independently, so results do not depend on the thread count.
#include "adamw.h"

#include <cmath>
#include <vector>

#include "step-scalars.h"
#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "multi-tensor.h"

void adamw_step(const AdamWTensor* tensors, int64_t count, double beta1, double beta2, float eps,
                const float* scalars) {
  if (scalars[kSlotFoundInf] != 0.0f) return;
  const double step = static_cast<double>(scalars[kSlotStep]);
  if (!(step >= 1.0)) return;
  const float lr = scalars[kSlotLr];
  double bc1 = 1.0 - std::pow(beta1, step);
  double bc2 = 1.0 - std::pow(beta2, step);
  const VecF step_size = VecF::set1(static_cast<float>(static_cast<double>(lr) / bc1));
  const VecF inv_bc2_sqrt = VecF::set1(static_cast<float>(1.0 / std::sqrt(bc2)));
  const VecF one_minus_b1 = VecF::set1(static_cast<float>(1.0 - beta1));
  const VecF one_minus_b2 = VecF::set1(static_cast<float>(1.0 - beta2));
  const VecF b2 = VecF::set1(static_cast<float>(beta2)), ev = VecF::set1(eps), gs = VecF::set1(scalars[kSlotGradScale]);
  for_each_block(tensors, count, [&](const AdamWTensor& t, int64_t begin, int64_t end) {
    VecF decay = VecF::set1(
        static_cast<float>(1.0 - static_cast<double>(lr) * t.weight_decay));
    for (int64_t j = begin; j < end; j += VecF::W) {
      int k = lanes(j, end);
      VecF p = VecF::load(t.param + j, k) * decay;
      VecF g = VecF::load(t.grad + j, k) * gs;
      VecF m = VecF::load(t.m + j, k);
      m = fma(one_minus_b1, g - m, m);
      VecF v = fma(one_minus_b2 * g, g, VecF::load(t.v + j, k) * b2);
      VecF denom = fma(vsqrt(v), inv_bc2_sqrt, ev);
      p = p - step_size * (m / denom);
      p.store(t.param + j, k);
      m.store(t.m + j, k);
      v.store(t.v + j, k);
    }
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void adamw_step(const AdamWTensor* tensors, int64_t count, double beta1, double beta2, float eps,
                const float* scalars) {
  NEOX_DISPATCH(adamw_step, tensors, count, beta1, beta2, eps, scalars);
}
}  // namespace neox
#endif
