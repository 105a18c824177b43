// Lion over many tensors in one call, as GPT-NeoX's megatron/optimizers.py (class Lion,
// update_fn):
//   p ← p·(1 - lr·wd);  c ← β1·m + (1-β1)·g;  p ← p - lr·sign(c);  m ← β2·m + (1-β2)·g
// with g = grad·grad_scale and sign(0) = 0 (torch.sign). GPT-NeoX's default betas: (0.9, 0.99).
// lr, grad_scale and found_inf come from the step-scalars buffer (step-scalars.h).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
// One parameter tensor with its gradient and momentum (n fp32 elements each) and its weight decay.
struct LionTensor {
  float* param;
  const float* grad;
  float* m;
  int64_t n;
  double weight_decay;
};

NEOX_DECLARE_FOR_ALL_ISAS(
    // Does nothing when found_inf is set (a skipped step).
    void lion_step(const LionTensor* tensors, int64_t count, double beta1, double beta2, const float* scalars);)
}  // namespace neox
