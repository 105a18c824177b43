// SGD over many tensors in one call, as torch.optim.SGD (coupled weight decay):
//   d ← grad·grad_scale + wd·p
//   momentum ≠ 0:  buf ← d at the first step (t = 1), else buf ← momentum·buf + (1-dampening)·d
//                  d ← d + momentum·buf (nesterov) or d ← buf
//   p ← p - lr·d
// lr, t, grad_scale and found_inf come from the step-scalars buffer (step-scalars.h); t only
// decides whether the momentum buffer starts from this gradient.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
// One parameter tensor with its gradient and momentum buffer (null when momentum is 0).
struct SgdTensor {
  float* param;
  const float* grad;
  float* buf;
  int64_t n;
  double weight_decay;
};

NEOX_DECLARE_FOR_ALL_ISAS(
    // Does nothing when found_inf is set (a skipped step) or when t < 1.
    void sgd_step(const SgdTensor* tensors, int64_t count, double momentum, double dampening, bool nesterov,
                  const float* scalars);)
}  // namespace neox
