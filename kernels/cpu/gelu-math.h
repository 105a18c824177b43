// GELU and SiLU values and derivatives on one vector, shared by gelu.cc and glu.cc. Included after
// vec.h inside namespace neox::NEOX_VEC_NS.
// Exact:  gelu(x) = 0.5·x·(1 + erf(x/√2)),  gelu'(x) = 0.5·(1 + erf(x/√2)) + x·exp(-x²/2)/√(2π)
// Tanh:   u = √(2/π)·(x + 0.044715·x³),  gelu(x) = 0.5·x·(1 + tanh u),
//         gelu'(x) = 0.5·(1 + tanh u) + 0.5·x·(1 - tanh²u)·√(2/π)·(1 + 3·0.044715·x²)
// (GPT-NeoX megatron/model/activations.py: bias_gelu / bias_gelu_back, and F.gelu.)
// SiLU:   silu(x) = x·σ(x),  silu'(x) = σ(x)·(1 + x·(1 - σ(x)))
#pragma once

constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;

// The tanh form is evaluated through s = σ(2u) = (1 + tanh u)/2, 1 - s = (1 - tanh u)/2, which keeps
// full relative accuracy where tanh u is near ±1 (1 + tanh u and 1 - tanh²u would cancel):
//   gelu = x·s,  gelu' = s + 2·x·s·(1 - s)·du/dx.
// The exact form uses Φ(x) = 0.5·erfc(-x/√2) (vnormal_cdf), accurate in the negative tail.
inline VecF tanh_gate(VecF x, VecF* one_minus) {
  VecF u2 = VecF::set1(2.0f * kSqrt2OverPi) * fma(VecF::set1(kGeluCubic) * x * x, x, x);
  VecF e = vexp(vmin(VecF::set1(88.0f), -u2));  // NaN stays NaN (x second, see vexp)
  VecF s = vrcp(VecF::set1(1.0f) + e);
  *one_minus = e * s;
  return s;
}

inline VecF gelu_value(VecF x, bool tanh_approx) {
  if (tanh_approx) {
    VecF om;
    return x * tanh_gate(x, &om);
  }
  return x * vnormal_cdf(x);
}

inline VecF gelu_grad(VecF x, bool tanh_approx) {
  if (tanh_approx) {
    VecF om;
    VecF s = tanh_gate(x, &om);
    VecF du = VecF::set1(kSqrt2OverPi) * fma(VecF::set1(3.0f * kGeluCubic), x * x, VecF::set1(1.0f));
    return fma(VecF::set1(2.0f) * x * s * om, du, s);
  }
  VecF pdf = VecF::set1(kInvSqrt2Pi) * vexp(VecF::set1(-0.5f) * x * x);
  return fma(x, pdf, vnormal_cdf(x));
}

// σ(x) = 1/(1 + e^-x); 1 - σ(x) = e^-x·σ(x) (no cancellation for large x).
inline VecF sigmoid_pair(VecF x, VecF* one_minus) {
  VecF e = vexp(vmin(VecF::set1(88.0f), -x));
  VecF s = vrcp(VecF::set1(1.0f) + e);
  *one_minus = e * s;
  return s;
}
inline VecF silu_value(VecF x) {
  VecF om;
  return x * sigmoid_pair(x, &om);
}
inline VecF silu_grad(VecF x) {
  VecF om;
  VecF s = sigmoid_pair(x, &om);
  return s * fma(x, om, VecF::set1(1.0f));
}
