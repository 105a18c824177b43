// Multi-tensor SGD (formula in sgd.h), element-wise fp32 per block: thread-count independent.
#include "sgd.h"

#include <vector>

#include "step-scalars.h"
#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "multi-tensor.h"

void sgd_step(const SgdTensor* tensors, int64_t count, double momentum, double dampening, bool nesterov,
              const float* scalars) {
  if (scalars[kSlotFoundInf] != 0.0f) return;
  const float step = scalars[kSlotStep];
  if (!(step >= 1.0f)) return;
  const bool first = step == 1.0f;
  const bool use_momentum = momentum != 0.0;
  const VecF gs = VecF::set1(scalars[kSlotGradScale]), lr = VecF::set1(scalars[kSlotLr]);
  const VecF mom = VecF::set1(static_cast<float>(momentum));
  const VecF keep = VecF::set1(static_cast<float>(1.0 - dampening));
  for_each_block(tensors, count, [&](const SgdTensor& t, int64_t begin, int64_t end) {
    const bool decay = t.weight_decay != 0.0;
    const VecF wd = VecF::set1(static_cast<float>(t.weight_decay));
    for (int64_t j = begin; j < end; j += VecF::W) {
      int k = lanes(j, end);
      VecF p = VecF::load(t.param + j, k);
      VecF d = VecF::load(t.grad + j, k) * gs;
      if (decay) d = fma(wd, p, d);
      if (use_momentum) {
        VecF buf = first ? d : fma(keep, d, VecF::load(t.buf + j, k) * mom);
        buf.store(t.buf + j, k);
        d = nesterov ? fma(mom, buf, d) : buf;
      }
      p = fnma(lr, d, p);
      p.store(t.param + j, k);
    }
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void sgd_step(const SgdTensor* tensors, int64_t count, double momentum, double dampening, bool nesterov,
              const float* scalars) {
  NEOX_DISPATCH(sgd_step, tensors, count, momentum, dampening, nesterov, scalars);
}
}  // namespace neox
#endif
