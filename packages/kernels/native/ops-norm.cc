// Node-API glue for layer norm and RMS norm (fp32 and bf16 activations). Argument order mirrors
// kernels/cpu/layer-norm.h and rms-norm.h; optional buffers (weight, bias, mean, rstd, dweight,
// dbias) may be the null address 0.
#include "cpu/layer-norm.h"
#include "cpu/rms-norm.h"
#include "e1-args.h"

namespace {

using neox::napi::Args;
using neox::napi::call;
using neox::napi::required;

float eps_arg(const Args& a, size_t i) {
  double eps = a.f64(i);
  if (!(eps >= 0.0)) a.fail(i, "(eps) must be >= 0, got " + std::to_string(eps));
  return static_cast<float>(eps);
}

napi_value layernormForward(napi_env env, napi_callback_info info) {
  return call(env, info, "layernormForward", 9, [&](const Args& a) {
    neox::layernorm_forward(required<float>(a, 0, "out"), a.ptr<float>(1), a.ptr<float>(2),
                            required<const float>(a, 3, "inp"), a.ptr<const float>(4), a.ptr<const float>(5),
                            a.size(6), a.size(7), eps_arg(a, 8));
  });
}

napi_value layernormBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "layernormBackward", 10, [&](const Args& a) {
    neox::layernorm_backward(required<float>(a, 0, "dinp"), a.ptr<float>(1), a.ptr<float>(2),
                             required<const float>(a, 3, "dout"), required<const float>(a, 4, "inp"),
                             a.ptr<const float>(5), required<const float>(a, 6, "mean"),
                             required<const float>(a, 7, "rstd"), a.size(8), a.size(9));
  });
}

napi_value layernormForwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "layernormForwardBf16", 9, [&](const Args& a) {
    neox::layernorm_forward_bf16(required<uint16_t>(a, 0, "out"), a.ptr<float>(1), a.ptr<float>(2),
                                 required<const uint16_t>(a, 3, "inp"), a.ptr<const float>(4),
                                 a.ptr<const float>(5), a.size(6), a.size(7), eps_arg(a, 8));
  });
}

napi_value layernormBackwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "layernormBackwardBf16", 10, [&](const Args& a) {
    neox::layernorm_backward_bf16(required<uint16_t>(a, 0, "dinp"), a.ptr<float>(1), a.ptr<float>(2),
                                  required<const uint16_t>(a, 3, "dout"), required<const uint16_t>(a, 4, "inp"),
                                  a.ptr<const float>(5), required<const float>(a, 6, "mean"),
                                  required<const float>(a, 7, "rstd"), a.size(8), a.size(9));
  });
}

napi_value rmsnormForward(napi_env env, napi_callback_info info) {
  return call(env, info, "rmsnormForward", 7, [&](const Args& a) {
    neox::rmsnorm_forward(required<float>(a, 0, "out"), a.ptr<float>(1), required<const float>(a, 2, "inp"),
                          a.ptr<const float>(3), a.size(4), a.size(5), eps_arg(a, 6));
  });
}

napi_value rmsnormBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "rmsnormBackward", 8, [&](const Args& a) {
    neox::rmsnorm_backward(required<float>(a, 0, "dinp"), a.ptr<float>(1), required<const float>(a, 2, "dout"),
                           required<const float>(a, 3, "inp"), a.ptr<const float>(4),
                           required<const float>(a, 5, "rstd"), a.size(6), a.size(7));
  });
}

napi_value rmsnormForwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "rmsnormForwardBf16", 7, [&](const Args& a) {
    neox::rmsnorm_forward_bf16(required<uint16_t>(a, 0, "out"), a.ptr<float>(1),
                               required<const uint16_t>(a, 2, "inp"), a.ptr<const float>(3), a.size(4), a.size(5),
                               eps_arg(a, 6));
  });
}

napi_value rmsnormBackwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "rmsnormBackwardBf16", 8, [&](const Args& a) {
    neox::rmsnorm_backward_bf16(required<uint16_t>(a, 0, "dinp"), a.ptr<float>(1),
                                required<const uint16_t>(a, 2, "dout"), required<const uint16_t>(a, 3, "inp"),
                                a.ptr<const float>(4), required<const float>(a, 5, "rstd"), a.size(6), a.size(7));
  });
}

NEOX_REGISTER("layernormForward", layernormForward);
NEOX_REGISTER("layernormBackward", layernormBackward);
NEOX_REGISTER("layernormForwardBf16", layernormForwardBf16);
NEOX_REGISTER("layernormBackwardBf16", layernormBackwardBf16);
NEOX_REGISTER("rmsnormForward", rmsnormForward);
NEOX_REGISTER("rmsnormBackward", rmsnormBackward);
NEOX_REGISTER("rmsnormForwardBf16", rmsnormForwardBf16);
NEOX_REGISTER("rmsnormBackwardBf16", rmsnormBackwardBf16);

}  // namespace
