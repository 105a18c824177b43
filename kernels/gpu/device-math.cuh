// Device helpers shared by the op kernels: block-wide sums in a fixed order (so a result does not
// depend on scheduling: the same inputs give the same bits on every run), GELU/SiLU values and
// derivatives as kernels/cpu/gelu-math.h defines them, and bf16 loads/stores.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace neox::gpu {

// Sum over a warp; every lane gets the total. The butterfly's order is fixed.
template <class T>
__device__ inline T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
template <class T>
__device__ inline T warp_max(T v) {
  for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the total.
// `scratch` holds 32 values; it may be reused right after the call returns.
template <class T>
__device__ inline T block_sum(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : T(0);
  return warp_sum(total);
}
template <class T>
__device__ inline T block_max(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T m = lane < warps ? scratch[lane] : scratch[0];
  return warp_max(m);
}

// Activations read as fp32 from fp32 or bf16 (raw bits), and stored back rounded to nearest even.
__device__ inline float load_f32(const float* p, int64_t i) { return p[i]; }
__device__ inline float load_f32(const uint16_t* p, int64_t i) {
  return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(p)[i]);
}
__device__ inline void store_f32(float* p, int64_t i, float v) { p[i] = v; }
__device__ inline void store_f32(uint16_t* p, int64_t i, float v) {
  reinterpret_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
}

constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// The tanh form through s = σ(2u) (gelu-math.h): gelu = x·s, gelu' = s + 2·x·s·(1-s)·du/dx.
__device__ inline float gelu_tanh_s(float x, float* one_minus) {
  float e = __expf(fminf(88.f, x * (-2.f * kSqrt2OverPi - 2.f * kSqrt2OverPi * kGeluCubic * x * x)));
  float s = 1.f / (1.f + e);
  *one_minus = e * s;
  return s;
}
__device__ inline float gelu_value(float x, bool tanh_approx) {
  if (tanh_approx) {
    float om;
    return x * gelu_tanh_s(x, &om);
  }
  return x * normcdff(x);  // Φ(x) from CUDA's normcdff keeps relative accuracy in the lower tail
}
__device__ inline float gelu_grad(float x, bool tanh_approx) {
  if (tanh_approx) {
    float om;
    float s = gelu_tanh_s(x, &om);
    float du = kSqrt2OverPi * (1.f + 3.f * kGeluCubic * x * x);
    return s + 2.f * x * s * om * du;
  }
  return normcdff(x) + x * kInvSqrt2Pi * expf(-0.5f * x * x);
}
// σ(x) and 1 - σ(x) = e^-x·σ(x) without cancellation.
__device__ inline float sigmoid_pair(float x, float* one_minus) {
  float e = expf(fminf(88.f, -x));
  float s = 1.f / (1.f + e);
  *one_minus = e * s;
  return s;
}

// The counter-based dropout hash of kernels/cpu/dropout.h (dropout-hash.h), the same bits:
//   key = h(seed_lo ^ h(seed_hi ^ h(hi + 0x9e3779b9))),  bits = h(h(lo ^ key) + key),
// element j kept iff (bits >> 8) >= threshold, threshold = floor(p·2^24) (2^24 for p >= 1).
__device__ inline uint32_t drop_mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
__device__ inline bool drop_keep(uint64_t seed, uint64_t counter, uint32_t threshold) {
  const uint32_t hi = static_cast<uint32_t>(counter >> 32), lo = static_cast<uint32_t>(counter);
  const uint32_t key = drop_mix32(static_cast<uint32_t>(seed) ^
                                  drop_mix32(static_cast<uint32_t>(seed >> 32) ^ drop_mix32(hi + 0x9e3779b9u)));
  return (drop_mix32(drop_mix32(lo ^ key) + key) >> 8) >= threshold;
}
// As the CPU computes them on the host (dropout.cc): p in fp32.
inline uint32_t drop_threshold(float p) { return p >= 1.0f ? (1u << 24) : static_cast<uint32_t>(p * 16777216.0f); }
inline float drop_scale(float p) { return p >= 1.0f ? 0.0f : 1.0f / (1.0f - p); }

}  // namespace neox::gpu
