// Node-API glue for GEMM (kernels/cpu/gemm.h). Argument order follows cblas, row-major:
//   sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
//   sgemmStridedBatched(<the 13 above>, strideA, strideB, strideC, batch)
// and the same with bf16 A/B (gemmBf16, gemmBf16StridedBatched) and fp16 A/B (gemmF16,
// gemmF16StridedBatched). Transpose flags are booleans or 0/1.
// openblasSgemm (runtime, not an op) runs OpenBLAS loaded at run time, for cross-checks and benchmarks.
#include <string>

#include "cpu/gemm.h"
#include "registry.h"

namespace {

using neox::napi::Args;
using neox::napi::call;

napi_value sgemm(napi_env env, napi_callback_info info) {
  return call(env, info, "sgemm", 13, [&](const Args& a) {
    neox::sgemm(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5), a.ptr<const float>(6), a.i64(7),
                a.ptr<const float>(8), a.i64(9), a.f32(10), a.ptr<float>(11), a.i64(12));
  });
}

napi_value gemmBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "gemmBf16", 13, [&](const Args& a) {
    neox::gemm_bf16(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5), a.ptr<const uint16_t>(6),
                    a.i64(7), a.ptr<const uint16_t>(8), a.i64(9), a.f32(10), a.ptr<float>(11), a.i64(12));
  });
}

napi_value gemmF16(napi_env env, napi_callback_info info) {
  return call(env, info, "gemmF16", 13, [&](const Args& a) {
    neox::gemm_f16(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5), a.ptr<const uint16_t>(6),
                   a.i64(7), a.ptr<const uint16_t>(8), a.i64(9), a.f32(10), a.ptr<float>(11), a.i64(12));
  });
}

napi_value sgemmStridedBatched(napi_env env, napi_callback_info info) {
  return call(env, info, "sgemmStridedBatched", 17, [&](const Args& a) {
    neox::sgemm_strided_batched(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5),
                                a.ptr<const float>(6), a.i64(7), a.ptr<const float>(8), a.i64(9), a.f32(10),
                                a.ptr<float>(11), a.i64(12), a.i64(13), a.i64(14), a.i64(15), a.size(16));
  });
}

napi_value gemmBf16StridedBatched(napi_env env, napi_callback_info info) {
  return call(env, info, "gemmBf16StridedBatched", 17, [&](const Args& a) {
    neox::gemm_bf16_strided_batched(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5),
                                    a.ptr<const uint16_t>(6), a.i64(7), a.ptr<const uint16_t>(8), a.i64(9),
                                    a.f32(10), a.ptr<float>(11), a.i64(12), a.i64(13), a.i64(14), a.i64(15),
                                    a.size(16));
  });
}

napi_value gemmF16StridedBatched(napi_env env, napi_callback_info info) {
  return call(env, info, "gemmF16StridedBatched", 17, [&](const Args& a) {
    neox::gemm_f16_strided_batched(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5),
                                   a.ptr<const uint16_t>(6), a.i64(7), a.ptr<const uint16_t>(8), a.i64(9),
                                   a.f32(10), a.ptr<float>(11), a.i64(12), a.i64(13), a.i64(14), a.i64(15),
                                   a.size(16));
  });
}

// openblasSgemm(<the 13 sgemm arguments>, threads): threads <= 0 keeps OpenBLAS's own setting.
napi_value openblasSgemm(napi_env env, napi_callback_info info) {
  return call(env, info, "openblasSgemm", 14, [&](const Args& a) {
    neox::openblas_sgemm(a.flag(0), a.flag(1), a.size(2), a.size(3), a.size(4), a.f32(5), a.ptr<const float>(6),
                         a.i64(7), a.ptr<const float>(8), a.i64(9), a.f32(10), a.ptr<float>(11), a.i64(12),
                         static_cast<int>(a.i64(13)));
  });
}

// openblasStatus(): "" when OpenBLAS loaded, else why not.
napi_value openblasStatus(napi_env env, napi_callback_info info) {
  return call(env, info, "openblasStatus", 0,
              [&](const Args&) { return neox::napi::string(env, neox::openblas_available() ? "" : neox::openblas_error()); });
}

// openblasCore(): the kernel OpenBLAS picked for this CPU ("" when not loaded).
napi_value openblasCore(napi_env env, napi_callback_info info) {
  return call(env, info, "openblasCore", 0, [&](const Args&) { return neox::napi::string(env, neox::openblas_core()); });
}

// gemmBf16Path(): "dot" or "fp32", the path bf16 GEMMs take under the active ISA.
napi_value gemmBf16Path(napi_env env, napi_callback_info info) {
  return call(env, info, "gemmBf16Path", 0, [&](const Args&) {
    return neox::napi::string(env, neox::gemm_bf16_path() == neox::Bf16Path::Dot ? "dot" : "fp32");
  });
}

// setGemmBf16Path("auto" | "dot" | "fp32"): forces the bf16 path (tests run both).
napi_value setGemmBf16Path(napi_env env, napi_callback_info info) {
  return call(env, info, "setGemmBf16Path", 1, [&](const Args& a) {
    std::string name = a.str(0);
    if (name == "auto") neox::set_gemm_bf16_path(neox::Bf16Path::Auto);
    else if (name == "dot") neox::set_gemm_bf16_path(neox::Bf16Path::Dot);
    else if (name == "fp32") neox::set_gemm_bf16_path(neox::Bf16Path::Fp32);
    else a.fail(0, "must be auto, dot or fp32, got \"" + name + "\"");
  });
}

NEOX_REGISTER("sgemm", sgemm);
NEOX_REGISTER("gemmBf16", gemmBf16);
NEOX_REGISTER("sgemmStridedBatched", sgemmStridedBatched);
NEOX_REGISTER("gemmBf16StridedBatched", gemmBf16StridedBatched);
NEOX_REGISTER("gemmF16", gemmF16);
NEOX_REGISTER("gemmF16StridedBatched", gemmF16StridedBatched);
NEOX_REGISTER_RUNTIME("openblasSgemm", openblasSgemm);
NEOX_REGISTER_RUNTIME("openblasStatus", openblasStatus);
NEOX_REGISTER_RUNTIME("openblasCore", openblasCore);
NEOX_REGISTER_RUNTIME("gemmBf16Path", gemmBf16Path);
NEOX_REGISTER_RUNTIME("setGemmBf16Path", setGemmBf16Path);

}  // namespace
