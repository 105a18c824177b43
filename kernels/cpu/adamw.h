// AdamW over many tensors in one call, as torch.optim.AdamW (decoupled weight decay, bias
// correction):
//   p ← p·(1 - lr·wd);  g ← grad·grad_scale;  m ← m + (1-β1)(g - m);  v ← β2·v + (1-β2)·g²
//   p ← p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)
// lr, t, grad_scale and found_inf come from the step-scalars buffer (step-scalars.h), never from
// host arguments, so a recorded step replays with the numbers the host wrote before the run.
// grad_scale folds the loss-scale / accumulation divisor and the clipping coefficient together.
// The betas are doubles, as PyTorch's Python floats: 1-β and the bias corrections are formed in
// double and rounded once to fp32.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
// One parameter tensor with its gradient and moment buffers (n fp32 elements each) and its own
// weight decay (0 for norms and biases, GPT-NeoX's no-decay group).
struct AdamWTensor {
  float* param;
  const float* grad;
  float* m;
  float* v;
  int64_t n;
  double weight_decay;
};

NEOX_DECLARE_FOR_ALL_ISAS(
    // Does nothing when found_inf is set (a skipped step) or when t < 1 (the host never wrote a
    // step; the TypeScript side refuses to launch then).
    void adamw_step(const AdamWTensor* tensors, int64_t count, double beta1, double beta2, float eps,
                    const float* scalars);)
}  // namespace neox
