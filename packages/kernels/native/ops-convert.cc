// Node-API glue for the fp16 casts (kernels/cpu/convert.h): castF32ToF16(out, inp, n) and
// castF16ToF32(out, inp, n). The bf16 casts are in ops-elementwise.cc.
#include "cpu/convert.h"
#include "registry.h"

namespace {

using neox::napi::Args;
using neox::napi::call;

napi_value castF32ToF16(napi_env env, napi_callback_info info) {
  return call(env, info, "castF32ToF16", 3, [&](const Args& a) {
    const int64_t n = a.size(2);
    if (n > 0 && (!a.ptr<void>(0) || !a.ptr<void>(1))) throw std::invalid_argument("out and inp must be addresses, got 0");
    neox::cast_f32_to_f16(a.ptr<uint16_t>(0), a.ptr<const float>(1), n);
  });
}

napi_value castF16ToF32(napi_env env, napi_callback_info info) {
  return call(env, info, "castF16ToF32", 3, [&](const Args& a) {
    const int64_t n = a.size(2);
    if (n > 0 && (!a.ptr<void>(0) || !a.ptr<void>(1))) throw std::invalid_argument("out and inp must be addresses, got 0");
    neox::cast_f16_to_f32(a.ptr<float>(0), a.ptr<const uint16_t>(1), n);
  });
}

NEOX_REGISTER("castF32ToF16", castF32ToF16);
NEOX_REGISTER("castF16ToF32", castF16ToF32);

}  // namespace
