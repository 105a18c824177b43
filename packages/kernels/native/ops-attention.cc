// Node-API glue for fused attention, rotary embedding and ALiBi (kernels/cpu/{attention,rotary,
// alibi}.h). Argument order mirrors the C++: outputs, inputs, sizes, strides (elements), options.
#include "cpu/alibi.h"
#include "cpu/attention.h"
#include "cpu/rotary.h"
#include "registry.h"

namespace {

using neox::napi::Args;
using neox::napi::call;

// A required address: the null address is an error naming the argument.
template <class T>
T* required(const Args& a, size_t i) {
  T* p = a.ptr<T>(i);
  if (!p) a.fail(i, "is the null address");
  return p;
}

// Sizes B, Tq, Tk, NH, NKV, HS, then q/k/v strides (b, t, h), window, scale, from argument `i`.
neox::AttentionDims attention_dims(const Args& a, size_t i) {
  neox::AttentionDims d{};
  d.B = a.size(i);
  d.Tq = a.size(i + 1);
  d.Tk = a.size(i + 2);
  d.NH = a.size(i + 3);
  d.NKV = a.size(i + 4);
  d.HS = a.size(i + 5);
  d.q_sb = a.i64(i + 6);
  d.q_st = a.i64(i + 7);
  d.q_sh = a.i64(i + 8);
  d.k_sb = a.i64(i + 9);
  d.k_st = a.i64(i + 10);
  d.k_sh = a.i64(i + 11);
  d.v_sb = a.i64(i + 12);
  d.v_st = a.i64(i + 13);
  d.v_sh = a.i64(i + 14);
  d.window = a.i64(i + 15);
  d.scale = a.f32(i + 16);
  return d;
}

// attentionForward(out, lse, q, k, v, slopes|0, B, Tq, Tk, NH, NKV, HS, q_sb, q_st, q_sh,
//                  k_sb, k_st, k_sh, v_sb, v_st, v_sh, window, scale)
napi_value attentionForward(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionForward", 23, [&](const Args& a) {
    neox::attention_forward(required<float>(a, 0), required<float>(a, 1), required<const float>(a, 2),
                            required<const float>(a, 3), required<const float>(a, 4), a.ptr<const float>(5),
                            attention_dims(a, 6));
  });
}
NEOX_REGISTER("attentionForward", attentionForward);

// attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, slopes|0, <sizes, strides, window, scale>)
napi_value attentionBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionBackward", 27, [&](const Args& a) {
    neox::attention_backward(required<float>(a, 0), required<float>(a, 1), required<float>(a, 2),
                             required<const float>(a, 3), required<const float>(a, 4),
                             required<const float>(a, 5), required<const float>(a, 6),
                             required<const float>(a, 7), required<const float>(a, 8), a.ptr<const float>(9),
                             attention_dims(a, 10));
  });
}
NEOX_REGISTER("attentionBackward", attentionBackward);

// attentionForwardBf16 / attentionBackwardBf16: the same arguments, with bf16 (raw bits) q, k, v,
// out, dout, dq, dk, dv; lse and slopes stay fp32.
napi_value attentionForwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionForwardBf16", 23, [&](const Args& a) {
    neox::attention_forward_bf16(required<uint16_t>(a, 0), required<float>(a, 1), required<const uint16_t>(a, 2),
                                 required<const uint16_t>(a, 3), required<const uint16_t>(a, 4),
                                 a.ptr<const float>(5), attention_dims(a, 6));
  });
}
NEOX_REGISTER("attentionForwardBf16", attentionForwardBf16);

napi_value attentionBackwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionBackwardBf16", 27, [&](const Args& a) {
    neox::attention_backward_bf16(required<uint16_t>(a, 0), required<uint16_t>(a, 1), required<uint16_t>(a, 2),
                                  required<const uint16_t>(a, 3), required<const uint16_t>(a, 4),
                                  required<const uint16_t>(a, 5), required<const uint16_t>(a, 6),
                                  required<const uint16_t>(a, 7), required<const float>(a, 8),
                                  a.ptr<const float>(9), attention_dims(a, 10));
  });
}
NEOX_REGISTER("attentionBackwardBf16", attentionBackwardBf16);

// rotaryTable(cos, sin, nPos, rotDim, base)
napi_value rotaryTable(napi_env env, napi_callback_info info) {
  return call(env, info, "rotaryTable", 5, [&](const Args& a) {
    neox::rotary_table(required<float>(a, 0), required<float>(a, 1), a.size(2), a.size(3), a.f64(4));
  });
}
NEOX_REGISTER("rotaryTable", rotaryTable);

// Sizes B, T, NH, HS, rotDim, posOffset, then strides (b, t, h) of the first and second tensor.
neox::RotaryDims rotary_dims(const Args& a, size_t i, bool first_is_x) {
  neox::RotaryDims d{};
  d.B = a.size(i);
  d.T = a.size(i + 1);
  d.NH = a.size(i + 2);
  d.HS = a.size(i + 3);
  d.rot_dim = a.size(i + 4);
  d.pos_offset = a.size(i + 5);
  const size_t xs = first_is_x ? i + 6 : i + 9, ys = first_is_x ? i + 9 : i + 6;
  d.x_sb = a.i64(xs);
  d.x_st = a.i64(xs + 1);
  d.x_sh = a.i64(xs + 2);
  d.y_sb = a.i64(ys);
  d.y_st = a.i64(ys + 1);
  d.y_sh = a.i64(ys + 2);
  return d;
}

// rotaryForward(out, inp, cos, sin, B, T, NH, HS, rotDim, posOffset, out strides(3), inp strides(3))
napi_value rotaryForward(napi_env env, napi_callback_info info) {
  return call(env, info, "rotaryForward", 16, [&](const Args& a) {
    neox::rotary_forward(required<float>(a, 0), required<const float>(a, 1), required<const float>(a, 2),
                         required<const float>(a, 3), rotary_dims(a, 4, false));
  });
}
NEOX_REGISTER("rotaryForward", rotaryForward);

// rotaryBackward(dinp, dout, cos, sin, B, T, NH, HS, rotDim, posOffset, dinp strides(3), dout strides(3))
napi_value rotaryBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "rotaryBackward", 16, [&](const Args& a) {
    neox::rotary_backward(required<float>(a, 0), required<const float>(a, 1), required<const float>(a, 2),
                          required<const float>(a, 3), rotary_dims(a, 4, true));
  });
}
NEOX_REGISTER("rotaryBackward", rotaryBackward);

// alibiSlopes(slopes, NH)
napi_value alibiSlopes(napi_env env, napi_callback_info info) {
  return call(env, info, "alibiSlopes", 2,
              [&](const Args& a) { neox::alibi_slopes(required<float>(a, 0), a.size(1)); });
}
NEOX_REGISTER("alibiSlopes", alibiSlopes);

// alibiBias(out, slopes, NH, Tq, Tk)
napi_value alibiBias(napi_env env, napi_callback_info info) {
  return call(env, info, "alibiBias", 5, [&](const Args& a) {
    neox::alibi_bias(required<float>(a, 0), required<const float>(a, 1), a.size(2), a.size(3), a.size(4));
  });
}
NEOX_REGISTER("alibiBias", alibiBias);

}  // namespace
