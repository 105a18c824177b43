// Layer norm and RMS norm over the last dimension with the CPU's names and arguments
// (packages/tensor/src/kernels/norm.ts), fp32 or bf16 activations (statistics, weights and their
// gradients fp32). Forward and the input gradient: one block per row, sums in a fixed order.
// Parameter gradients (dweight, dbias accumulate): one thread per channel over the rows in order,
// recomputing x̂ from the saved mean/rstd, so runs give the same bits (no float atomics).
#include <string>

#include "gpu/device-math.cuh"
#include "gpu/ops.h"

namespace neox::gpu {

namespace {

constexpr int kThreads = 256;

// rms = false: layer norm (mean subtracted, bias); rms = true: RMS norm (no mean, no bias).
template <bool kRms, class T>
__global__ void norm_forward(T* out, float* mean_out, float* rstd_out, const T* inp, const float* weight,
                             const float* bias, int64_t N, int64_t C, float eps) {
  __shared__ float scratch[32];
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int64_t row = n * C;
    float mean = 0.f;
    if (!kRms) {
      float s = 0.f;
      for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += load_f32(inp, row + c);
      mean = block_sum(s, scratch) / float(C);
    }
    float ss = 0.f;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      float d = load_f32(inp, row + c) - mean;
      ss += d * d;
    }
    const float rstd = 1.f / sqrtf(block_sum(ss, scratch) / float(C) + eps);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      float y = (load_f32(inp, row + c) - mean) * rstd;
      if (weight) y *= weight[c];
      if (bias) y += bias[c];
      store_f32(out, row + c, y);
    }
    if (threadIdx.x == 0) {
      if (mean_out) mean_out[n] = mean;
      if (rstd_out) rstd_out[n] = rstd;
    }
  }
}

// dinp = rstd·(g - mean(g) - x̂·mean(g·x̂)) with g = dout·weight, x̂ = (x - mean)·rstd (RMS: no
// mean(g) term and mean 0).
template <bool kRms, class T>
__global__ void norm_backward_input(T* dinp, const T* dout, const T* inp, const float* weight, const float* mean,
                                    const float* rstd, int64_t N, int64_t C) {
  __shared__ float scratch[32];
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int64_t row = n * C;
    const float mu = kRms ? 0.f : mean[n], r = rstd[n];
    float sg = 0.f, sgx = 0.f;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      float g = load_f32(dout, row + c) * (weight ? weight[c] : 1.f);
      float xh = (load_f32(inp, row + c) - mu) * r;
      sg += g;
      sgx += g * xh;
    }
    const float mean_g = kRms ? 0.f : block_sum(sg, scratch) / float(C);
    const float mean_gx = block_sum(sgx, scratch) / float(C);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      float g = load_f32(dout, row + c) * (weight ? weight[c] : 1.f);
      float xh = (load_f32(inp, row + c) - mu) * r;
      store_f32(dinp, row + c, r * (g - mean_g - xh * mean_gx));
    }
  }
}

// dweight[c] += Σ_n dout·x̂, dbias[c] += Σ_n dout.
template <bool kRms, class T>
__global__ void norm_backward_params(float* dweight, float* dbias, const T* dout, const T* inp, const float* mean,
                                     const float* rstd, int64_t N, int64_t C) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    float sw = 0.f, sb = 0.f;
    for (int64_t n = 0; n < N; ++n) {
      float d = load_f32(dout, n * C + c);
      sw += d * (load_f32(inp, n * C + c) - (kRms ? 0.f : mean[n])) * rstd[n];
      sb += d;
    }
    if (dweight) dweight[c] += sw;
    if (!kRms && dbias) dbias[c] += sb;
  }
}

template <class T>
int layernorm_forward(const OpArgs& a, cudaStream_t s) {
  const int64_t N = a.size(6), C = a.size(7);
  if (N == 0 || C == 0) return 0;
  norm_forward<false, T><<<grid_for(N, 1), kThreads, 0, s>>>(
      a.ptr<T>(0), a.ptr<float>(1), a.ptr<float>(2), a.ptr<const T>(3), a.ptr<const float>(4), a.ptr<const float>(5),
      N, C, a.f32(8));
  return launched(a);
}

template <class T>
int layernorm_backward(const OpArgs& a, cudaStream_t s) {
  const int64_t N = a.size(8), C = a.size(9);
  if (N == 0 || C == 0) return 0;
  const T *dout = a.ptr<const T>(3), *inp = a.ptr<const T>(4);
  const float *weight = a.ptr<const float>(5), *mean = a.ptr<const float>(6), *rstd = a.ptr<const float>(7);
  float *dweight = a.ptr<float>(1), *dbias = a.ptr<float>(2);
  // Parameter gradients first: dinp may be dout itself (in place).
  if (dweight || dbias)
    norm_backward_params<false, T><<<grid_for(C), kThreads, 0, s>>>(dweight, dbias, dout, inp, mean, rstd, N, C);
  norm_backward_input<false, T><<<grid_for(N, 1), kThreads, 0, s>>>(a.ptr<T>(0), dout, inp, weight, mean, rstd, N, C);
  return launched(a);
}

template <class T>
int rmsnorm_forward(const OpArgs& a, cudaStream_t s) {
  const int64_t N = a.size(4), C = a.size(5);
  if (N == 0 || C == 0) return 0;
  norm_forward<true, T><<<grid_for(N, 1), kThreads, 0, s>>>(a.ptr<T>(0), nullptr, a.ptr<float>(1), a.ptr<const T>(2),
                                                             a.ptr<const float>(3), nullptr, N, C, a.f32(6));
  return launched(a);
}

template <class T>
int rmsnorm_backward(const OpArgs& a, cudaStream_t s) {
  const int64_t N = a.size(6), C = a.size(7);
  if (N == 0 || C == 0) return 0;
  const T *dout = a.ptr<const T>(2), *inp = a.ptr<const T>(3);
  const float *weight = a.ptr<const float>(4), *rstd = a.ptr<const float>(5);
  if (float* dweight = a.ptr<float>(1))
    norm_backward_params<true, T><<<grid_for(C), kThreads, 0, s>>>(dweight, nullptr, dout, inp, nullptr, rstd, N, C);
  norm_backward_input<true, T><<<grid_for(N, 1), kThreads, 0, s>>>(a.ptr<T>(0), dout, inp, weight, nullptr, rstd, N, C);
  return launched(a);
}

#define LN_FWD "out:p,mean:o,rstd:o,inp:p,weight:o,bias:o,N:s,C:s,eps:f"
#define LN_BWD "dinp:p,dweight:o,dbias:o,dout:p,inp:p,weight:o,mean:p,rstd:p,N:s,C:s"
#define RMS_FWD "out:p,rstd:o,inp:p,weight:o,N:s,C:s,eps:f"
#define RMS_BWD "dinp:p,dweight:o,dout:p,inp:p,weight:o,rstd:p,N:s,C:s"

const OpSpec kOps[] = {
    {"layernormForward", LN_FWD, layernorm_forward<float>},
    {"layernormBackward", LN_BWD, layernorm_backward<float>},
    {"layernormForwardBf16", LN_FWD, layernorm_forward<uint16_t>},
    {"layernormBackwardBf16", LN_BWD, layernorm_backward<uint16_t>},
    {"rmsnormForward", RMS_FWD, rmsnorm_forward<float>},
    {"rmsnormBackward", RMS_BWD, rmsnorm_backward<float>},
    {"rmsnormForwardBf16", RMS_FWD, rmsnorm_forward<uint16_t>},
    {"rmsnormBackwardBf16", RMS_BWD, rmsnorm_backward<uint16_t>},
};

}  // namespace

const OpSpec* norm_ops(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}

}  // namespace neox::gpu
