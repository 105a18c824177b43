// The GPU library's element-wise kernels (kernels/gpu/elementwise.cu), queued on a stream.
// JS: gpuFillF32(dst, value, n, stream); gpuCopyF32(dst, src, n, stream);
// gpuCastF32ToBf16(dst, src, n, stream); gpuCastBf16ToF32(dst, src, n, stream);
// gpuAddF32(out, a, b, n, stream); gpuAxpyF32(y, alpha, x, n, stream) (y += alpha * x).
// Runtime entries, not ops(): the CPU's parity cases do not run them; the GPU tests do.
#include "gpu-library.h"
#include "registry.h"

namespace neox::napi {

namespace {

void* stream_arg(const Args& a, size_t i) { return i < a.argc ? a.ptr<void>(i) : nullptr; }

napi_value gpuFillF32(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuFillF32", 3, [&](const Args& a) {
    gpu_check(gpu().fill_f32(a.ptr<float>(0), a.f32(1), a.size(2), stream_arg(a, 3)), "gpuFillF32");
  });
}

napi_value gpuCopyF32(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuCopyF32", 3, [&](const Args& a) {
    gpu_check(gpu().copy_f32(a.ptr<float>(0), a.ptr<const float>(1), a.size(2), stream_arg(a, 3)), "gpuCopyF32");
  });
}

napi_value gpuCastF32ToBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuCastF32ToBf16", 3, [&](const Args& a) {
    gpu_check(gpu().cast_f32_to_bf16(a.ptr<uint16_t>(0), a.ptr<const float>(1), a.size(2), stream_arg(a, 3)),
              "gpuCastF32ToBf16");
  });
}

napi_value gpuCastBf16ToF32(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuCastBf16ToF32", 3, [&](const Args& a) {
    gpu_check(gpu().cast_bf16_to_f32(a.ptr<float>(0), a.ptr<const uint16_t>(1), a.size(2), stream_arg(a, 3)),
              "gpuCastBf16ToF32");
  });
}

napi_value gpuAddF32(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuAddF32", 4, [&](const Args& a) {
    gpu_check(gpu().add_f32(a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2), a.size(3), stream_arg(a, 4)),
              "gpuAddF32");
  });
}

napi_value gpuAxpyF32(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuAxpyF32", 4, [&](const Args& a) {
    gpu_check(gpu().axpy_f32(a.ptr<float>(0), a.f32(1), a.ptr<const float>(2), a.size(3), stream_arg(a, 4)),
              "gpuAxpyF32");
  });
}

NEOX_REGISTER_RUNTIME("gpuFillF32", gpuFillF32);
NEOX_REGISTER_RUNTIME("gpuCopyF32", gpuCopyF32);
NEOX_REGISTER_RUNTIME("gpuCastF32ToBf16", gpuCastF32ToBf16);
NEOX_REGISTER_RUNTIME("gpuCastBf16ToF32", gpuCastBf16ToF32);
NEOX_REGISTER_RUNTIME("gpuAddF32", gpuAddF32);
NEOX_REGISTER_RUNTIME("gpuAxpyF32", gpuAxpyF32);

}  // namespace

}  // namespace neox::napi
