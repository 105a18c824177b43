// Element-wise kernels (see elementwise.h). Each op is a functor applied by one of two grid-stride
// kernels: a float4 one when every pointer is 16-byte aligned (the common case: the allocator hands
// out 512-byte aligned blocks), with the last n % 4 elements done by the scalar kernel.
// N elements, per thread: one float4 (or one element) per grid-stride step.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "gpu/elementwise.h"
#include "gpu/runtime.h"

namespace neox::gpu {

namespace {

constexpr int kThreads = 256;

int blocks_for(int64_t work) {
  // Enough blocks to fill any current GPU several times over; the loops stride past the rest.
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((work + kThreads - 1) / kThreads, 65535)));
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// out[i] = op(i, in...) for elementwise float ops with up to two inputs.
template <class Op>
__global__ void map_scalar(float* out, const float* a, const float* b, int64_t begin, int64_t n, Op op) {
  for (int64_t i = begin + blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = op(Op::kReadsOut ? out[i] : 0.f, a ? a[i] : 0.f, b ? b[i] : 0.f);
}

template <class Op>
__global__ void map_vec4(float4* out, const float4* a, const float4* b, int64_t n4, Op op) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n4; i += int64_t(gridDim.x) * blockDim.x) {
    float4 o = Op::kReadsOut ? out[i] : make_float4(0.f, 0.f, 0.f, 0.f);
    float4 x = a ? a[i] : make_float4(0.f, 0.f, 0.f, 0.f);
    float4 y = b ? b[i] : make_float4(0.f, 0.f, 0.f, 0.f);
    o.x = op(o.x, x.x, y.x);
    o.y = op(o.y, x.y, y.y);
    o.z = op(o.z, x.z, y.z);
    o.w = op(o.w, x.w, y.w);
    out[i] = o;
  }
}

// Launches op over n elements; a and b may be null (the op ignores them).
template <class Op>
int launch_map(const char* name, float* out, const float* a, const float* b, int64_t n, void* stream, Op op) {
  if (n <= 0) return 0;
  auto s = static_cast<cudaStream_t>(stream);
  int64_t done = 0;
  if (aligned16(out) && (!a || aligned16(a)) && (!b || aligned16(b))) {
    int64_t n4 = n / 4;
    if (n4 > 0)
      map_vec4<<<blocks_for(n4), kThreads, 0, s>>>(reinterpret_cast<float4*>(out), reinterpret_cast<const float4*>(a),
                                                  reinterpret_cast<const float4*>(b), n4, op);
    done = n4 * 4;
  }
  if (done < n) map_scalar<<<blocks_for(n - done), kThreads, 0, s>>>(out, a, b, done, n, op);
  return cuda_check(cudaGetLastError(), name);
}

// kReadsOut: whether the op reads the output's old value (only axpy does; the others skip the load).
struct Fill {
  static constexpr bool kReadsOut = false;
  float value;
  __device__ float operator()(float, float, float) const { return value; }
};
struct Copy {
  static constexpr bool kReadsOut = false;
  __device__ float operator()(float, float x, float) const { return x; }
};
struct Add {
  static constexpr bool kReadsOut = false;
  __device__ float operator()(float, float x, float y) const { return x + y; }
};
struct Axpy {
  static constexpr bool kReadsOut = true;
  float alpha;
  __device__ float operator()(float o, float x, float) const { return fmaf(alpha, x, o); }
};

__global__ void f32_to_bf16(__nv_bfloat16* dst, const float* src, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = __float2bfloat16_rn(src[i]);
}

__global__ void bf16_to_f32(float* dst, const __nv_bfloat16* src, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = __bfloat162float(src[i]);
}

}  // namespace

int fill_f32(float* dst, float value, int64_t n, void* stream) {
  return launch_map("fill_f32", dst, nullptr, nullptr, n, stream, Fill{value});
}
int copy_f32(float* dst, const float* src, int64_t n, void* stream) {
  return launch_map("copy_f32", dst, src, nullptr, n, stream, Copy{});
}
int add_f32(float* out, const float* a, const float* b, int64_t n, void* stream) {
  return launch_map("add_f32", out, a, b, n, stream, Add{});
}
int axpy_f32(float* y, float alpha, const float* x, int64_t n, void* stream) {
  return launch_map("axpy_f32", y, x, nullptr, n, stream, Axpy{alpha});
}

int cast_f32_to_bf16(uint16_t* dst, const float* src, int64_t n, void* stream) {
  if (n <= 0) return 0;
  f32_to_bf16<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<__nv_bfloat16*>(dst), src, n);
  return cuda_check(cudaGetLastError(), "cast_f32_to_bf16");
}
int cast_bf16_to_f32(float* dst, const uint16_t* src, int64_t n, void* stream) {
  if (n <= 0) return 0;
  bf16_to_f32<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      dst, reinterpret_cast<const __nv_bfloat16*>(src), n);
  return cuda_check(cudaGetLastError(), "cast_bf16_to_f32");
}

}  // namespace neox::gpu
