// Global gradient norm, clipping and multi-tensor scaling.
#include "global-norm.h"

#include <cmath>
#include <vector>

#include "step-scalars.h"
#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "multi-tensor.h"

double global_l2_norm(const TensorRef* tensors, int64_t count) {
  std::vector<TensorBlock> blocks = split_blocks(count, [&](int64_t t) { return tensors[t].n; });
  std::vector<double> partial(blocks.size(), 0.0);
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t bb, int64_t be) {
    for (int64_t i = bb; i < be; ++i) {
      const TensorBlock& blk = blocks[static_cast<size_t>(i)];
      const float* x = tensors[blk.tensor].data;
      // fp32 lanes over runs of 512 elements, each run's sum added in double: the fp32 error stays
      // near 1e-7 relative whatever the block size or vector width.
      double sum = 0.0;
      for (int64_t r = blk.begin; r < blk.end; r += 512) {
        int64_t re = r + 512 < blk.end ? r + 512 : blk.end;
        VecF acc = VecF::zero();
        for (int64_t j = r; j < re; j += VecF::W) {
          VecF v = VecF::load(x + j, lanes(j, re));
          acc = fma(v, v, acc);
        }
        sum += static_cast<double>(acc.sum());
      }
      partial[static_cast<size_t>(i)] = sum;
    }
  });
  double s = 0.0;
  for (double p : partial) s += p;
  return std::sqrt(s);
}

void scale_tensors(const TensorRef* tensors, int64_t count, float alpha) {
  std::vector<TensorBlock> blocks = split_blocks(count, [&](int64_t t) { return tensors[t].n; });
  VecF a = VecF::set1(alpha);
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t bb, int64_t be) {
    for (int64_t i = bb; i < be; ++i) {
      const TensorBlock& blk = blocks[static_cast<size_t>(i)];
      float* x = tensors[blk.tensor].data;
      for (int64_t j = blk.begin; j < blk.end; j += VecF::W) {
        int k = lanes(j, blk.end);
        (VecF::load(x + j, k) * a).store(x + j, k);
      }
    }
  });
}

double clip_grad_norm(const TensorRef* tensors, int64_t count, double max_norm) {
  double norm = NEOX_VEC_NS::global_l2_norm(tensors, count);
  double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) NEOX_VEC_NS::scale_tensors(tensors, count, static_cast<float>(coef));
  return norm;
}

// A non-finite fp32-lane norm means a NaN/Inf gradient, or squares past fp32's range (|x| above
// ~1.8e19, possible with a large loss scale). Told apart here, on a path a healthy step never
// takes: a sequential scan that stops at the first non-finite element, else the sum in double.
static double recheck_norm(const TensorRef* tensors, int64_t count, double lane_norm, bool* found_inf) {
  double s = 0.0;
  for (int64_t t = 0; t < count; ++t) {
    for (int64_t i = 0; i < tensors[t].n; ++i) {
      double x = static_cast<double>(tensors[t].data[i]);
      if (!std::isfinite(x)) {
        *found_inf = true;
        return lane_norm;
      }
      s += x * x;
    }
  }
  return std::sqrt(s);
}

void prepare_grads(const TensorRef* grads, int64_t count, float* scalars) {
  double norm = NEOX_VEC_NS::global_l2_norm(grads, count);
  bool found_inf = false;
  if (!std::isfinite(norm)) norm = recheck_norm(grads, count, norm, &found_inf);
  const double unscale = static_cast<double>(scalars[kSlotUnscale]);
  const double max_norm = static_cast<double>(scalars[kSlotMaxNorm]);
  const double grad_norm = norm * unscale;
  double coef = 1.0;
  if (max_norm > 0.0 && !found_inf) {
    double c = max_norm / (grad_norm + 1e-6);
    if (c < 1.0) coef = c;
  }
  scalars[kSlotGradNorm] = static_cast<float>(grad_norm);
  scalars[kSlotGradScale] = static_cast<float>(unscale * coef);
  scalars[kSlotFoundInf] = found_inf ? 1.0f : 0.0f;
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
double global_l2_norm(const TensorRef* tensors, int64_t count) { NEOX_DISPATCH(global_l2_norm, tensors, count); }
double clip_grad_norm(const TensorRef* tensors, int64_t count, double max_norm) {
  NEOX_DISPATCH(clip_grad_norm, tensors, count, max_norm);
}
void scale_tensors(const TensorRef* tensors, int64_t count, float alpha) {
  NEOX_DISPATCH(scale_tensors, tensors, count, alpha);
}
void prepare_grads(const TensorRef* grads, int64_t count, float* scalars) {
  NEOX_DISPATCH(prepare_grads, grads, count, scalars);
}
}  // namespace neox
#endif
