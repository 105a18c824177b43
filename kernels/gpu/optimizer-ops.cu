// The multi-tensor optimizer kernels with the CPU's names and arguments
// (packages/tensor/src/kernels/optimizer.ts): prepareGrads, adamwStep, lionStep, sgdStep. Tensors
// arrive as parallel lists of addresses and sizes; each tensor is one launch. Everything that
// changes between steps (lr, t, grad_scale, found_inf) is read on the device from the step-scalars
// buffer (kernels/cpu/step-scalars.h), never from the host, as on the CPU, so a captured step
// replays with whatever the host wrote there. Element updates follow the CPU's operation order
// (adamw.cc, lion.cc, sgd.cc), including which constants are rounded from double to fp32.
#include <cmath>
#include <string>
#include <vector>

#include "gpu/device-math.cuh"
#include "gpu/ops.h"

namespace neox::gpu {

namespace {

constexpr int kThreads = 256;
// step-scalars.h slots
constexpr int kSlotLr = 0, kSlotStep = 1, kSlotUnscale = 2, kSlotMaxNorm = 3, kSlotGradNorm = 4,
              kSlotGradScale = 5, kSlotFoundInf = 6;

#define GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// The parallel lists of one call, checked: same lengths, non-null addresses, integer sizes.
struct Lists {
  std::vector<std::vector<uintptr_t>> ptrs;
  std::vector<int64_t> sizes;
  std::vector<double> decays;
};

int read_lists(const OpArgs& a, int tensor_lists, bool optional_last, Lists* out) {
  const int64_t count = a.count(0);
  for (int l = 0; l < tensor_lists; ++l) {
    const bool may_be_empty = optional_last && l == tensor_lists - 1 && a.count(l) == 0;
    if (a.count(l) != count && !may_be_empty)
      return a.invalid("argument " + std::to_string(l) + " has " + std::to_string(a.count(l)) + " entries, expected " +
                       std::to_string(count));
    std::vector<uintptr_t> ps(static_cast<size_t>(a.count(l)));
    for (int64_t k = 0; k < a.count(l); ++k) {
      double v = a.list(l)[k];
      if (!(v > 0) || v != std::floor(v))
        return a.invalid("argument " + std::to_string(l) + " entry " + std::to_string(k) + " must be a device address");
      ps[static_cast<size_t>(k)] = static_cast<uintptr_t>(v);
    }
    out->ptrs.push_back(std::move(ps));
  }
  const int sizes_at = tensor_lists;
  if (a.count(sizes_at) != count)
    return a.invalid("sizes has " + std::to_string(a.count(sizes_at)) + " entries, expected " + std::to_string(count));
  for (int64_t k = 0; k < count; ++k) {
    double v = a.list(sizes_at)[k];
    if (!(v >= 0) || v != std::floor(v)) return a.invalid("sizes entry " + std::to_string(k) + " must be a size");
    out->sizes.push_back(static_cast<int64_t>(v));
  }
  return 0;
}

int read_decays(const OpArgs& a, int at, int64_t count, Lists* out) {
  if (a.count(at) != count)
    return a.invalid("weightDecays has " + std::to_string(a.count(at)) + " entries, expected " + std::to_string(count));
  out->decays.assign(a.list(at), a.list(at) + count);
  return 0;
}

// ---- prepareGrads: Σx² per tensor in double, per block of a fixed grid, summed in order. ----

constexpr int kNormBlocks = 128;

__global__ void sum_squares(double* partial, const float* x, int64_t n) {
  __shared__ double scratch[32];
  double s = 0;
  GRID_STRIDE(i, n) {
    double v = x[i];
    s += v * v;
  }
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void finish_norm(float* scalars, const double* partial, int64_t count) {
  __shared__ double scratch[32];
  double s = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
  s = block_sum(s, scratch);
  if (threadIdx.x != 0) return;
  const double norm = sqrt(s);
  // Squares of finite fp32 values cannot overflow a double: a non-finite norm means a NaN or Inf.
  const bool found_inf = !isfinite(norm);
  const double unscale = scalars[kSlotUnscale], max_norm = scalars[kSlotMaxNorm];
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

int prepare_grads(const OpArgs& a, cudaStream_t s) {
  Lists l;
  if (int st = read_lists(a, 1, false, &l)) return st;
  const size_t count = l.sizes.size();
  Scratch partial;
  if (int st = partial.allocate(a, sizeof(double) * (count * kNormBlocks + 1), s)) return st;
  double* p = partial.as<double>();
  cudaMemsetAsync(p, 0, sizeof(double) * (count * kNormBlocks + 1), s);
  for (size_t t = 0; t < count; ++t)
    if (l.sizes[t] > 0)
      sum_squares<<<kNormBlocks, kThreads, 0, s>>>(p + t * kNormBlocks, reinterpret_cast<const float*>(l.ptrs[0][t]),
                                                   l.sizes[t]);
  finish_norm<<<1, 1024, 0, s>>>(a.ptr<float>(2), p, static_cast<int64_t>(count * kNormBlocks));
  return launched(a);
}

// ---- AdamW ----

struct AdamConst {
  float one_minus_b1, one_minus_b2, b2, eps;
};

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, int64_t n, double wd, double beta1,
                             double beta2, AdamConst k, const float* scalars) {
  if (scalars[kSlotFoundInf] != 0.0f) return;
  const double step = scalars[kSlotStep];
  if (!(step >= 1.0)) return;
  const float lr = scalars[kSlotLr];
  // Per thread, as adamw.cc per call: the bias corrections in double, rounded once to fp32.
  const double bc1 = 1.0 - pow(beta1, step), bc2 = 1.0 - pow(beta2, step);
  const float step_size = static_cast<float>(static_cast<double>(lr) / bc1);
  const float inv_bc2_sqrt = static_cast<float>(1.0 / sqrt(bc2));
  const float decay = static_cast<float>(1.0 - static_cast<double>(lr) * wd);
  const float gs = scalars[kSlotGradScale];
  GRID_STRIDE(i, n) {
    float pi = p[i] * decay;
    float gi = g[i] * gs;
    float mi = fmaf(k.one_minus_b1, gi - m[i], m[i]);
    float vi = fmaf(k.one_minus_b2 * gi, gi, v[i] * k.b2);
    float denom = fmaf(sqrtf(vi), inv_bc2_sqrt, k.eps);
    p[i] = pi - step_size * (mi / denom);
    m[i] = mi;
    v[i] = vi;
  }
}

int adamw_step(const OpArgs& a, cudaStream_t s) {
  Lists l;
  if (int st = read_lists(a, 4, false, &l)) return st;
  if (int st = read_decays(a, 5, static_cast<int64_t>(l.sizes.size()), &l)) return st;
  const double beta1 = a.num(6), beta2 = a.num(7);
  AdamConst k{static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2), static_cast<float>(beta2), a.f32(8)};
  const float* scalars = a.ptr<const float>(9);
  for (size_t t = 0; t < l.sizes.size(); ++t) {
    if (l.sizes[t] == 0) continue;
    adamw_kernel<<<grid_for(l.sizes[t]), kThreads, 0, s>>>(
        reinterpret_cast<float*>(l.ptrs[0][t]), reinterpret_cast<const float*>(l.ptrs[1][t]),
        reinterpret_cast<float*>(l.ptrs[2][t]), reinterpret_cast<float*>(l.ptrs[3][t]), l.sizes[t], l.decays[t], beta1,
        beta2, k, scalars);
  }
  return launched(a);
}

// ---- Lion ----

__global__ void lion_kernel(float* p, const float* g, float* m, int64_t n, double wd, float b1, float b2,
                            float one_minus_b1, float one_minus_b2, const float* scalars) {
  if (scalars[kSlotFoundInf] != 0.0f) return;
  const float lr = scalars[kSlotLr], gs = scalars[kSlotGradScale];
  const float decay = static_cast<float>(1.0 - static_cast<double>(lr) * wd);
  GRID_STRIDE(i, n) {
    float pi = p[i] * decay;
    float gi = g[i] * gs;
    float mi = m[i];
    float c = fmaf(one_minus_b1, gi, b1 * mi);
    float sign = c > 0.f ? 1.f : (c < 0.f ? -1.f : 0.f);
    p[i] = fmaf(-lr, sign, pi);
    m[i] = fmaf(one_minus_b2, gi, b2 * mi);
  }
}

int lion_step(const OpArgs& a, cudaStream_t s) {
  Lists l;
  if (int st = read_lists(a, 3, false, &l)) return st;
  if (int st = read_decays(a, 4, static_cast<int64_t>(l.sizes.size()), &l)) return st;
  const double beta1 = a.num(5), beta2 = a.num(6);
  const float* scalars = a.ptr<const float>(7);
  for (size_t t = 0; t < l.sizes.size(); ++t) {
    if (l.sizes[t] == 0) continue;
    lion_kernel<<<grid_for(l.sizes[t]), kThreads, 0, s>>>(
        reinterpret_cast<float*>(l.ptrs[0][t]), reinterpret_cast<const float*>(l.ptrs[1][t]),
        reinterpret_cast<float*>(l.ptrs[2][t]), l.sizes[t], l.decays[t], static_cast<float>(beta1),
        static_cast<float>(beta2), static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2), scalars);
  }
  return launched(a);
}

// ---- SGD ----

__global__ void sgd_kernel(float* p, const float* g, float* buf, int64_t n, float wd, bool decay, float momentum,
                           float keep, bool nesterov, const float* scalars) {
  if (scalars[kSlotFoundInf] != 0.0f) return;
  const float step = scalars[kSlotStep];
  if (!(step >= 1.0f)) return;
  const bool first = step == 1.0f;
  const float gs = scalars[kSlotGradScale], lr = scalars[kSlotLr];
  GRID_STRIDE(i, n) {
    float pi = p[i];
    float d = g[i] * gs;
    if (decay) d = fmaf(wd, pi, d);
    if (buf) {
      float b = first ? d : fmaf(keep, d, buf[i] * momentum);
      buf[i] = b;
      d = nesterov ? fmaf(momentum, b, d) : b;
    }
    p[i] = fmaf(-lr, d, pi);
  }
}

int sgd_step(const OpArgs& a, cudaStream_t s) {
  Lists l;
  if (int st = read_lists(a, 3, true, &l)) return st;
  const int64_t count = static_cast<int64_t>(l.sizes.size());
  if (int st = read_decays(a, 4, count, &l)) return st;
  const double momentum = a.num(5), dampening = a.num(6);
  if (momentum != 0.0 && static_cast<int64_t>(l.ptrs[2].size()) != count)
    return a.invalid("momentumBuffers has " + std::to_string(l.ptrs[2].size()) + " entries with momentum " +
                     std::to_string(momentum) + ", expected " + std::to_string(count));
  const float* scalars = a.ptr<const float>(8);
  for (int64_t t = 0; t < count; ++t) {
    if (l.sizes[t] == 0) continue;
    float* buf = momentum != 0.0 ? reinterpret_cast<float*>(l.ptrs[2][t]) : nullptr;
    sgd_kernel<<<grid_for(l.sizes[t]), kThreads, 0, s>>>(
        reinterpret_cast<float*>(l.ptrs[0][t]), reinterpret_cast<const float*>(l.ptrs[1][t]), buf, l.sizes[t],
        static_cast<float>(l.decays[t]), l.decays[t] != 0.0, static_cast<float>(momentum),
        static_cast<float>(1.0 - dampening), a.flag(7), scalars);
  }
  return launched(a);
}

const OpSpec kOps[] = {
    {"prepareGrads", "grads:l,sizes:l,scalars:p", prepare_grads},
    {"adamwStep", "params:l,grads:l,m:l,v:l,sizes:l,weightDecays:l,beta1:f,beta2:f,eps:f,scalars:p", adamw_step},
    {"lionStep", "params:l,grads:l,m:l,sizes:l,weightDecays:l,beta1:f,beta2:f,scalars:p", lion_step},
    {"sgdStep",
     "params:l,grads:l,momentumBuffers:l,sizes:l,weightDecays:l,momentum:f,dampening:f,nesterov:b,scalars:p",
     sgd_step},
};

}  // namespace

const OpSpec* optimizer_ops(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}

}  // namespace neox::gpu
