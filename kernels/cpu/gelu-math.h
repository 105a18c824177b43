// GELU and SiLU values and derivatives on one vector, shared by gelu.cc and glu.cc. Included after
// vec.h inside namespace neox::NEOX_VEC_NS.
// Exact:  gelu(x) = 0.5·x·(1 + erf(x/√2)),  gelu'(x) = 0.5·(1 + erf(x/√2)) + x·exp(-x²/2)/√(2π)
// Tanh:   u = √(2/π)·(x + 0.044715·x³),  gelu(x) = 0.5·x·(1 + tanh u),
//         gelu'(x) = 0.5·(1 + tanh u) + 0.5·x·(1 - tanh²u)·√(2/π)·(1 + 3·0.044715·x²)
// (GPT-NeoX megatron/model/activations.py: bias_gelu / bias_gelu_back, and F.gelu.)
// SiLU:   silu(x) = x·σ(x),  silu'(x) = σ(x)·(1 + x·(1 - σ(x)))
#pragma once

constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;

// The tanh form is evaluated through s = σ(2u) = (1 + tanh u)/2, 1 - s = (1 - tanh u)/2, which keeps
// full relative accuracy where tanh u is near ±1 (1 + tanh u and 1 - tanh²u would cancel):
//   gelu = x·s,  gelu' = s + 2·x·s·(1 - s)·du/dx.
// The exact form uses the lower tail h = Φ(-|x|) and the density φ(|x|) from one exponential
// (vnormal_tail), accurate in the negative tail:
//   gelu = x·Φ(x) = max(x, 0) - |x|·h                (x < 0: x·h; x >= 0: x·(1 - h))
//   gelu' = Φ(x) + x·φ(x) = g or 1 - g, g = h - |x|·φ  (x < 0 or x >= 0)
// |x| is clamped to 13 (Φ(-13) ≈ 6e-39); beyond it h and φ are below fp32's normal range.
constexpr float kTailClamp = 13.0f;
inline VecF tanh_gate(VecF x, VecF* one_minus) {
  // e = exp(-2u), -2u = x·(-2√(2/π) - 2√(2/π)·0.044715·x²); vexp clamps and keeps NaN.
  VecF e = vexp(x * fma(VecF::set1(-2.0f * kSqrt2OverPi * kGeluCubic), x * x, VecF::set1(-2.0f * kSqrt2OverPi)));
  VecF s = vrcp(VecF::set1(1.0f) + e);
  *one_minus = e * s;
  return s;
}

inline VecF gelu_value(VecF x, bool tanh_approx) {
  if (tanh_approx) {
    VecF om;
    return x * tanh_gate(x, &om);
  }
  VecF ax = vmin(VecF::set1(kTailClamp), vabs(x));  // NaN stays NaN (x second, see vexp)
  VecF density;
  VecF h = vnormal_tail(ax, &density);
  return fnma(ax, h, vmax(VecF::zero(), x));
}

inline VecF gelu_grad(VecF x, bool tanh_approx) {
  if (tanh_approx) {
    VecF om;
    VecF s = tanh_gate(x, &om);
    VecF du = VecF::set1(kSqrt2OverPi) * fma(VecF::set1(3.0f * kGeluCubic), x * x, VecF::set1(1.0f));
    return fma(VecF::set1(2.0f) * x * s * om, du, s);
  }
  VecF ax = vmin(VecF::set1(kTailClamp), vabs(x));
  VecF density;
  VecF h = vnormal_tail(ax, &density);
  VecF g = fnma(ax, density, h);
  return select_lt(x, VecF::zero(), g, VecF::set1(1.0f) - g);
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
