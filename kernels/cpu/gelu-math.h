// GELU and SiLU values and derivatives on one vector, shared by gelu.cc and glu.cc. Included after
// vec.h inside namespace neox::NEOX_VEC_NS.
// Exact:  gelu(x) = 0.5·x·(1 + erf(x/√2)),  gelu'(x) = 0.5·(1 + erf(x/√2)) + x·exp(-x²/2)/√(2π)
// Tanh:   u = √(2/π)·(x + 0.044715·x³),  gelu(x) = 0.5·x·(1 + tanh u),
//         gelu'(x) = 0.5·(1 + tanh u) + 0.5·x·(1 - tanh²u)·√(2/π)·(1 + 3·0.044715·x²)
// (GPT-NeoX megatron/model/activations.py: bias_gelu / bias_gelu_back, and F.gelu.)
// SiLU:   silu(x) = x·σ(x),  silu'(x) = σ(x)·(1 + x·(1 - σ(x)))
#pragma once

constexpr float kSqrt1_2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;

inline VecF gelu_value(VecF x, bool tanh_approx) {
  VecF half = VecF::set1(0.5f), one = VecF::set1(1.0f);
  if (tanh_approx) {
    VecF u = VecF::set1(kSqrt2OverPi) * fma(VecF::set1(kGeluCubic) * x * x, x, x);
    return half * x * (one + vtanh(u));
  }
  return half * x * (one + verf(x * VecF::set1(kSqrt1_2)));
}

inline VecF gelu_grad(VecF x, bool tanh_approx) {
  VecF half = VecF::set1(0.5f), one = VecF::set1(1.0f);
  if (tanh_approx) {
    VecF x2 = x * x;
    VecF t = vtanh(VecF::set1(kSqrt2OverPi) * fma(VecF::set1(kGeluCubic) * x2, x, x));
    VecF du = VecF::set1(kSqrt2OverPi) * fma(VecF::set1(3.0f * kGeluCubic), x2, one);
    return fma(half * x * (one - t * t), du, half * (one + t));
  }
  VecF cdf = half * (one + verf(x * VecF::set1(kSqrt1_2)));
  VecF pdf = VecF::set1(kInvSqrt2Pi) * vexp(VecF::set1(-0.5f) * x * x);
  return fma(x, pdf, cdf);
}

inline VecF sigmoid(VecF x) { return VecF::set1(1.0f) / (VecF::set1(1.0f) + vexp(-x)); }
inline VecF silu_value(VecF x) { return x * sigmoid(x); }
inline VecF silu_grad(VecF x) {
  VecF s = sigmoid(x);
  return s * fma(x, VecF::set1(1.0f) - s, VecF::set1(1.0f));
}
