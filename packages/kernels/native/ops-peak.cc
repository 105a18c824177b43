// Node-API glue for the measured peak (kernels/cpu/peak.h): peakGflops(kind, threads, seconds) with
// kind "fp32" or "bf16", and peakHasBf16(). Runtime functions, not numeric ops: they take no tensors
// and have no parity case.
#include "cpu/peak.h"

#include <stdexcept>
#include <string>

#include "registry.h"

namespace {

using neox::napi::Args;
using neox::napi::call;

napi_value peakGflops(napi_env env, napi_callback_info info) {
  return call(env, info, "peakGflops", 3, [&](const Args& a) {
    const std::string kind = a.str(0);
    neox::PeakKind k;
    if (kind == "fp32") k = neox::PeakKind::F32;
    else if (kind == "bf16") k = neox::PeakKind::Bf16;
    else a.fail(0, "must be \"fp32\" or \"bf16\", got \"" + kind + "\"");
    const int64_t threads = a.i64(1);
    if (threads < 1 || threads > 4096) a.fail(1, "must be a thread count in [1, 4096], got " + std::to_string(threads));
    return neox::napi::number(env, neox::peak_gflops(k, static_cast<int>(threads), a.f64(2)));
  });
}

napi_value peakHasBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "peakHasBf16", 0, [&](const Args&) {
    napi_value v;
    napi_get_boolean(env, neox::peak_has_bf16(), &v);
    return v;
  });
}

NEOX_REGISTER_RUNTIME("peakGflops", peakGflops);
NEOX_REGISTER_RUNTIME("peakHasBf16", peakHasBf16);

}  // namespace
