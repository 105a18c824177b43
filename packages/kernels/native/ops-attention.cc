// Node-API glue for fused attention, the fused decode step, rotary embedding and ALiBi
// (kernels/cpu/{attention,rotary,alibi}.h). Argument order mirrors the C++: outputs, inputs, sizes, strides (elements), options.
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

// Dropout p, seed, offset from argument `i` (attention.h: p = 0 for none; seed and offset are
// integers below 2^53, as the dropout kernels take them).
neox::AttentionDropout attention_dropout(const Args& a, size_t i) {
  neox::AttentionDropout drop{};
  const double p = a.f64(i);
  if (!(p >= 0.0 && p < 1.0)) a.fail(i, "(dropout p) must be in [0, 1), got " + std::to_string(p));
  drop.p = static_cast<float>(p);
  drop.seed = static_cast<uint64_t>(a.size(i + 1));
  drop.offset = static_cast<uint64_t>(a.size(i + 2));
  return drop;
}

// attentionForward(out, lse, q, k, v, slopes|0, B, Tq, Tk, NH, NKV, HS, q_sb, q_st, q_sh,
//                  k_sb, k_st, k_sh, v_sb, v_st, v_sh, window, scale, dropout_p, seed, offset)
napi_value attentionForward(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionForward", 26, [&](const Args& a) {
    neox::attention_forward(required<float>(a, 0), required<float>(a, 1), required<const float>(a, 2),
                            required<const float>(a, 3), required<const float>(a, 4), a.ptr<const float>(5),
                            attention_dims(a, 6), attention_dropout(a, 23));
  });
}
NEOX_REGISTER("attentionForward", attentionForward);

// attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, slopes|0, <sizes, strides, window, scale>,
//                   dropout_p, seed, offset)
napi_value attentionBackward(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionBackward", 30, [&](const Args& a) {
    neox::attention_backward(required<float>(a, 0), required<float>(a, 1), required<float>(a, 2),
                             required<const float>(a, 3), required<const float>(a, 4),
                             required<const float>(a, 5), required<const float>(a, 6),
                             required<const float>(a, 7), required<const float>(a, 8), a.ptr<const float>(9),
                             attention_dims(a, 10), attention_dropout(a, 27));
  });
}
NEOX_REGISTER("attentionBackward", attentionBackward);

// attentionForwardBf16 / attentionBackwardBf16: the same arguments, with bf16 (raw bits) q, k, v,
// out, dout, dq, dk, dv; lse and slopes stay fp32.
napi_value attentionForwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionForwardBf16", 26, [&](const Args& a) {
    neox::attention_forward_bf16(required<uint16_t>(a, 0), required<float>(a, 1), required<const uint16_t>(a, 2),
                                 required<const uint16_t>(a, 3), required<const uint16_t>(a, 4),
                                 a.ptr<const float>(5), attention_dims(a, 6), attention_dropout(a, 23));
  });
}
NEOX_REGISTER("attentionForwardBf16", attentionForwardBf16);

napi_value attentionBackwardBf16(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionBackwardBf16", 30, [&](const Args& a) {
    neox::attention_backward_bf16(required<uint16_t>(a, 0), required<uint16_t>(a, 1), required<uint16_t>(a, 2),
                                  required<const uint16_t>(a, 3), required<const uint16_t>(a, 4),
                                  required<const uint16_t>(a, 5), required<const uint16_t>(a, 6),
                                  required<const uint16_t>(a, 7), required<const float>(a, 8),
                                  a.ptr<const float>(9), attention_dims(a, 10), attention_dropout(a, 27));
  });
}
NEOX_REGISTER("attentionBackwardBf16", attentionBackwardBf16);

// attentionDecodeStep(out, cacheK, cacheV, qkv, rows, slots, positions, cos|0, sin|0, slopes|0,
//                     R, N, W, NH, NKV, HS, qOffset, kOffset, vOffset, qStrideH, kStrideH, vStrideH,
//                     S, maxT, nPos, rotDim, window, scale, cacheBf16)
// cacheK and cacheV are floats, or bf16 bits when cacheBf16.
napi_value attentionDecodeStep(napi_env env, napi_callback_info info) {
  return call(env, info, "attentionDecodeStep", 29, [&](const Args& a) {
    neox::DecodeStepDims d{};
    d.R = a.size(10);
    d.N = a.size(11);
    d.W = a.size(12);
    d.NH = a.size(13);
    d.NKV = a.size(14);
    d.HS = a.size(15);
    d.q_off = a.size(16);
    d.k_off = a.size(17);
    d.v_off = a.size(18);
    d.q_sh = a.size(19);
    d.k_sh = a.size(20);
    d.v_sh = a.size(21);
    d.S = a.size(22);
    d.maxT = a.size(23);
    d.n_pos = a.size(24);
    d.rot_dim = a.size(25);
    d.window = a.i64(26);
    d.scale = a.f32(27);
    d.cache_bf16 = a.flag(28);
    // Null index lists are fine only when there are no rows.
    auto index = [&](size_t i) { return d.R > 0 ? required<const int32_t>(a, i) : a.ptr<const int32_t>(i); };
    neox::attention_decode_step(required<float>(a, 0), required<void>(a, 1), required<void>(a, 2),
                                required<const float>(a, 3), index(4), index(5), index(6),
                                a.ptr<const float>(7), a.ptr<const float>(8), a.ptr<const float>(9), d);
  });
}
NEOX_REGISTER("attentionDecodeStep", attentionDecodeStep);

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
