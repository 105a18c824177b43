// Global L2 norm over many tensors and gradient clipping (torch.nn.utils.clip_grad_norm_ with
// norm_type 2: coef = max_norm / (norm + 1e-6), applied when below 1). prepare_grads is the
// planned step's form: it leaves the gradients alone and writes the norm, the clipping
// coefficient and the NaN/Inf flag into the step-scalars buffer (step-scalars.h) for the
// optimizer kernels to read.
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
    void scale_tensors(const TensorRef* tensors, int64_t count, float alpha);
    // Reads unscale and max_norm from `scalars`; writes grad_norm = unscale·‖grads‖ (the true
    // gradient's norm), grad_scale = unscale·min(1, max_norm/(grad_norm + 1e-6)) (unscale alone
    // when max_norm <= 0) and found_inf (1 when a gradient is NaN or Inf, else 0).
    void prepare_grads(const TensorRef* grads, int64_t count, float* scalars);)
}  // namespace neox
