// Element-wise device kernels: the pattern every GPU op follows (a __global__ kernel over a
// grid-stride loop, 16-byte vector loads when the pointers allow, a launcher that checks the launch
// and returns a status as runtime.h does). n counts elements; launches queue on `stream`.
#pragma once

#include <cstdint>

namespace neox::gpu {

int fill_f32(float* dst, float value, int64_t n, void* stream);
int copy_f32(float* dst, const float* src, int64_t n, void* stream);
// Round to nearest even, as the CPU's castF32ToBf16 (NaN stays NaN).
int cast_f32_to_bf16(uint16_t* dst, const float* src, int64_t n, void* stream);
int cast_bf16_to_f32(float* dst, const uint16_t* src, int64_t n, void* stream);
int add_f32(float* out, const float* a, const float* b, int64_t n, void* stream);
// y += alpha * x
int axpy_f32(float* y, float alpha, const float* x, int64_t n, void* stream);

}  // namespace neox::gpu
