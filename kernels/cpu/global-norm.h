// Global L2 norm over many tensors and gradient clipping (torch.nn.utils.clip_grad_norm_ with
// norm_type 2: coef = max_norm / (norm + 1e-6), applied when below 1).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
struct TensorRef {
  float* data;
  int64_t n;
};

NEOX_DECLARE_FOR_ALL_ISAS(
    // sqrt(Σ_tensors Σ x²), accumulated in double per 64K-element block and summed in block order,
    // so the result does not depend on the thread count.
    double global_l2_norm(const TensorRef* tensors, int64_t count);
    // Computes the global norm, scales every tensor by min(1, max_norm/(norm + 1e-6)) and returns
    // the norm measured before scaling.
    double clip_grad_norm(const TensorRef* tensors, int64_t count, double max_norm);
    // x ← alpha·x for every tensor.
    void scale_tensors(const TensorRef* tensors, int64_t count, float alpha);)
}  // namespace neox
