// Node-API glue for the element-wise ops: fills, scaling, copies, casts, reductions, bias add,
// residual add, GELU, ReLU, SiLU, gated units, dropout and the embedding. Argument order mirrors the C++
// kernels (outputs, inputs, sizes); see kernels/cpu/<op>.h for the meaning of each.
#include "cpu/bias-add.h"
#include "cpu/dropout.h"
#include "cpu/embedding.h"
#include "cpu/fill.h"
#include "cpu/gelu.h"
#include "cpu/glu.h"
#include "cpu/reduce.h"
#include "cpu/relu.h"
#include "cpu/residual.h"
#include "cpu/silu.h"
#include "e1-args.h"

namespace {

using neox::napi::Args;
using neox::napi::call;
using neox::napi::required;

napi_value fillF32(napi_env env, napi_callback_info info) {
  return call(env, info, "fillF32", 3, [&](const Args& a) {
    neox::fill_f32(required<float>(a, 0, "out"), a.f32(1), a.size(2));
  });
}

napi_value scaleF32(napi_env env, napi_callback_info info) {
  return call(env, info, "scaleF32", 4, [&](const Args& a) {
    neox::scale_f32(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.f32(2), a.size(3));
  });
}

napi_value axpyF32(napi_env env, napi_callback_info info) {
  return call(env, info, "axpyF32", 5, [&](const Args& a) {
    neox::axpy_f32(required<float>(a, 0, "out"), required<const float>(a, 1, "a"), required<const float>(a, 2, "b"),
                   a.f32(3), a.size(4));
  });
}

napi_value copyF32(napi_env env, napi_callback_info info) {
  return call(env, info, "copyF32", 3, [&](const Args& a) {
    neox::copy_f32(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2));
  });
}

napi_value copyStridedF32(napi_env env, napi_callback_info info) {
  return call(env, info, "copyStridedF32", 10, [&](const Args& a) {
    neox::copy_strided_f32(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2), a.size(3),
                           a.size(4), a.size(5), a.i64(6), a.i64(7), a.i64(8), a.i64(9));
  });
}

napi_value castF32ToBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "castF32ToBf16", 3, [&](const Args& a) {
    neox::cast_f32_to_bf16(required<uint16_t>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2));
  });
}

napi_value castBf16ToF32(napi_env env, napi_callback_info info) {
  return call(env, info, "castBf16ToF32", 3, [&](const Args& a) {
    neox::cast_bf16_to_f32(required<float>(a, 0, "out"), required<const uint16_t>(a, 1, "inp"), a.size(2));
  });
}

int64_t leading_dim(const Args& a, size_t i, int64_t C) {
  int64_t ld = a.size(i);
  if (ld < C) a.fail(i, "(ld) must be >= C = " + std::to_string(C) + ", got " + std::to_string(ld));
  return ld;
}

napi_value sumRowsF32(napi_env env, napi_callback_info info) {
  return call(env, info, "sumRowsF32", 7, [&](const Args& a) {
    int64_t C = a.size(3);
    neox::sum_rows_f32(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2), C,
                       leading_dim(a, 4, C), a.f32(5), a.boolean(6));
  });
}

napi_value sumColsF32(napi_env env, napi_callback_info info) {
  return call(env, info, "sumColsF32", 7, [&](const Args& a) {
    int64_t C = a.size(3);
    neox::sum_cols_f32(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2), C,
                       leading_dim(a, 4, C), a.f32(5), a.boolean(6));
  });
}

napi_value biasAddForward(napi_env env, napi_callback_info info) {
  return call(env, info, "biasAddForward", 5, [&](const Args& a) {
    neox::bias_add_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"),
                           required<const float>(a, 2, "bias"), a.size(3), a.size(4));
  });
}

napi_value biasAddBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "biasAddBackward", 4, [&](const Args& a) {
    neox::bias_add_backward(required<float>(a, 0, "dbias"), required<const float>(a, 1, "dout"), a.size(2),
                            a.size(3));
  });
}

napi_value residualForward(napi_env env, napi_callback_info info) {
  return call(env, info, "residualForward", 4, [&](const Args& a) {
    neox::residual_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "a"),
                           required<const float>(a, 2, "b"), a.size(3));
  });
}

napi_value residualBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "residualBackward", 4, [&](const Args& a) {
    neox::residual_backward(a.ptr<float>(0), a.ptr<float>(1), required<const float>(a, 2, "dout"), a.size(3));
  });
}

napi_value geluForward(napi_env env, napi_callback_info info) {
  return call(env, info, "geluForward", 4, [&](const Args& a) {
    neox::gelu_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2), a.boolean(3));
  });
}

napi_value geluBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "geluBackward", 5, [&](const Args& a) {
    neox::gelu_backward(required<float>(a, 0, "dinp"), required<const float>(a, 1, "dout"),
                        required<const float>(a, 2, "inp"), a.size(3), a.boolean(4));
  });
}

napi_value reluForward(napi_env env, napi_callback_info info) {
  return call(env, info, "reluForward", 3, [&](const Args& a) {
    neox::relu_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2));
  });
}

napi_value reluBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "reluBackward", 4, [&](const Args& a) {
    neox::relu_backward(required<float>(a, 0, "dinp"), required<const float>(a, 1, "dout"),
                        required<const float>(a, 2, "inp"), a.size(3));
  });
}

napi_value siluForward(napi_env env, napi_callback_info info) {
  return call(env, info, "siluForward", 3, [&](const Args& a) {
    neox::silu_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2));
  });
}

napi_value siluBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "siluBackward", 4, [&](const Args& a) {
    neox::silu_backward(required<float>(a, 0, "dinp"), required<const float>(a, 1, "dout"),
                        required<const float>(a, 2, "inp"), a.size(3));
  });
}

neox::GluKind glu_kind(const Args& a, size_t i) {
  int64_t k = a.i64(i);
  if (k < 0 || k > 3)
    a.fail(i, "(kind) must be 0 (swiglu), 1 (geglu), 2 (geglu, tanh) or 3 (reglu), got " + std::to_string(k));
  return static_cast<neox::GluKind>(k);
}

napi_value gluForward(napi_env env, napi_callback_info info) {
  return call(env, info, "gluForward", 5, [&](const Args& a) {
    neox::glu_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2), a.size(3),
                      glu_kind(a, 4));
  });
}

napi_value gluBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "gluBackward", 6, [&](const Args& a) {
    neox::glu_backward(required<float>(a, 0, "dinp"), required<const float>(a, 1, "dout"),
                       required<const float>(a, 2, "inp"), a.size(3), a.size(4), glu_kind(a, 5));
  });
}

float dropout_p(const Args& a, size_t i) {
  double p = a.f64(i);
  if (!(p >= 0.0 && p <= 1.0)) a.fail(i, "(p) must be in [0, 1], got " + std::to_string(p));
  return static_cast<float>(p);
}

napi_value dropoutForward(napi_env env, napi_callback_info info) {
  return call(env, info, "dropoutForward", 6, [&](const Args& a) {
    neox::dropout_forward(required<float>(a, 0, "out"), required<const float>(a, 1, "inp"), a.size(2),
                          dropout_p(a, 3), static_cast<uint64_t>(a.size(4)), static_cast<uint64_t>(a.size(5)));
  });
}

napi_value dropoutBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "dropoutBackward", 6, [&](const Args& a) {
    neox::dropout_backward(required<float>(a, 0, "dinp"), required<const float>(a, 1, "dout"), a.size(2),
                           dropout_p(a, 3), static_cast<uint64_t>(a.size(4)), static_cast<uint64_t>(a.size(5)));
  });
}

void check_ids(const char* name, int64_t bad, const int32_t* ids, int64_t V) {
  if (bad >= 0)
    throw std::runtime_error(std::string(name) + ": token id " + std::to_string(ids[bad]) + " at position " +
                             std::to_string(bad) + " is outside the table [0, " + std::to_string(V) + ")");
}

napi_value embeddingForward(napi_env env, napi_callback_info info) {
  return call(env, info, "embeddingForward", 6, [&](const Args& a) {
    const int32_t* ids = required<const int32_t>(a, 1, "ids");
    int64_t V = a.size(5);
    check_ids("embeddingForward",
              neox::embedding_forward(required<float>(a, 0, "out"), ids, required<const float>(a, 2, "weight"),
                                      a.size(3), a.size(4), V),
              ids, V);
  });
}

napi_value embeddingBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "embeddingBackward", 6, [&](const Args& a) {
    const int32_t* ids = required<const int32_t>(a, 2, "ids");
    int64_t V = a.size(5);
    check_ids("embeddingBackward",
              neox::embedding_backward(required<float>(a, 0, "dweight"), required<const float>(a, 1, "dout"), ids,
                                       a.size(3), a.size(4), V),
              ids, V);
  });
}

NEOX_REGISTER("fillF32", fillF32);
NEOX_REGISTER("scaleF32", scaleF32);
NEOX_REGISTER("axpyF32", axpyF32);
NEOX_REGISTER("copyF32", copyF32);
NEOX_REGISTER("copyStridedF32", copyStridedF32);
NEOX_REGISTER("castF32ToBf16", castF32ToBf16);
NEOX_REGISTER("castBf16ToF32", castBf16ToF32);
NEOX_REGISTER("sumRowsF32", sumRowsF32);
NEOX_REGISTER("sumColsF32", sumColsF32);
NEOX_REGISTER("biasAddForward", biasAddForward);
NEOX_REGISTER("biasAddBackward", biasAddBackward);
NEOX_REGISTER("residualForward", residualForward);
NEOX_REGISTER("residualBackward", residualBackward);
NEOX_REGISTER("geluForward", geluForward);
NEOX_REGISTER("geluBackward", geluBackward);
NEOX_REGISTER("reluForward", reluForward);
NEOX_REGISTER("reluBackward", reluBackward);
NEOX_REGISTER("siluForward", siluForward);
NEOX_REGISTER("siluBackward", siluBackward);
NEOX_REGISTER("gluForward", gluForward);
NEOX_REGISTER("gluBackward", gluBackward);
NEOX_REGISTER("dropoutForward", dropoutForward);
NEOX_REGISTER("dropoutBackward", dropoutBackward);
NEOX_REGISTER("embeddingForward", embeddingForward);
NEOX_REGISTER("embeddingBackward", embeddingBackward);

}  // namespace
