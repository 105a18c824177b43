// Node-API glue for the fused softmax cross-entropy (kernels/cpu/cross-entropy.h) and the row argmax
// (argmax.h). losses, lse and mask may be the null address 0.
#include "cpu/argmax.h"
#include "cpu/cross-entropy.h"
#include "e1-args.h"

namespace {

using neox::napi::Args;
using neox::napi::call;
using neox::napi::required;

void check_targets(const char* name, int64_t bad, const int32_t* targets, int64_t V) {
  if (bad >= 0)
    throw std::runtime_error(std::string(name) + ": target " + std::to_string(targets[bad]) + " at row " +
                             std::to_string(bad) + " is outside the vocabulary [0, " + std::to_string(V) +
                             ") (negative targets mark ignored rows)");
}

napi_value crossEntropyForward(napi_env env, napi_callback_info info) {
  return call(env, info, "crossEntropyForward", 8, [&](const Args& a) {
    const int32_t* targets = required<const int32_t>(a, 4, "targets");
    int64_t V = a.size(7);
    if (V < 1) a.fail(7, "(V) must be >= 1");
    check_targets("crossEntropyForward",
                  neox::cross_entropy_forward(required<float>(a, 0, "loss"), a.ptr<float>(1), a.ptr<float>(2),
                                              required<const float>(a, 3, "logits"), targets,
                                              a.ptr<const float>(5), a.size(6), V),
                  targets, V);
  });
}

napi_value crossEntropyBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "crossEntropyBackward", 8, [&](const Args& a) {
    const int32_t* targets = required<const int32_t>(a, 3, "targets");
    int64_t V = a.size(7);
    if (V < 1) a.fail(7, "(V) must be >= 1");
    check_targets("crossEntropyBackward",
                  neox::cross_entropy_backward(required<float>(a, 0, "dlogits"), required<const float>(a, 1, "logits"),
                                               required<const float>(a, 2, "lse"), targets, a.ptr<const float>(4),
                                               required<const float>(a, 5, "dloss"), a.size(6), V),
                  targets, V);
  });
}

napi_value crossEntropyFused(napi_env env, napi_callback_info info) {
  return call(env, info, "crossEntropyFused", 9, [&](const Args& a) {
    const int32_t* targets = required<const int32_t>(a, 4, "targets");
    int64_t V = a.size(8);
    if (V < 1) a.fail(8, "(V) must be >= 1");
    check_targets("crossEntropyFused",
                  neox::cross_entropy_fused(required<float>(a, 0, "loss"), a.ptr<float>(1),
                                            required<float>(a, 2, "dlogits"), required<const float>(a, 3, "logits"),
                                            targets, a.ptr<const float>(5), required<const float>(a, 6, "dloss"),
                                            a.size(7), V),
                  targets, V);
  });
}

// argmaxRows(out i32 (R), inp f32 (R, V), R, V): greedy decoding's token per row of logits.
napi_value argmaxRows(napi_env env, napi_callback_info info) {
  return call(env, info, "argmaxRows", 4, [&](const Args& a) {
    int64_t V = a.size(3);
    if (V < 1) a.fail(3, "(V) must be >= 1");
    neox::argmax_rows_f32(required<int32_t>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2), V);
  });
}

NEOX_REGISTER("crossEntropyForward", crossEntropyForward);
NEOX_REGISTER("argmaxRows", argmaxRows);
NEOX_REGISTER("crossEntropyFused", crossEntropyFused);
NEOX_REGISTER("crossEntropyBackward", crossEntropyBackward);

}  // namespace
