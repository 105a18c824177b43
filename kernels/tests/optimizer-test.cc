// Optimizer kernels on hand-worked values under every ISA (19 elements: full vectors and a masked
// tail): Lion's sign(0) = 0, SGD's momentum buffer starting from the first gradient, nesterov,
// prepare_grads' norm / coefficient / NaN flag in the step-scalars buffer, and a skipped step
// (found_inf, or t never written) that touches nothing.
#include <cmath>
#include <vector>

#include "check.h"
#include "cpu/adamw.h"
#include "cpu/global-norm.h"
#include "cpu/lion.h"
#include "cpu/runtime.h"
#include "cpu/sgd.h"
#include "cpu/step-scalars.h"

namespace {
constexpr int64_t kN = 19;

std::vector<float> scalars(float lr, float step, float grad_scale = 1.0f, float found_inf = 0.0f) {
  std::vector<float> s(neox::kStepSlotCount, 0.0f);
  s[neox::kSlotLr] = lr;
  s[neox::kSlotStep] = step;
  s[neox::kSlotGradScale] = grad_scale;
  s[neox::kSlotFoundInf] = found_inf;
  return s;
}

template <class Fn>
void for_each_isa(Fn fn) {
  for (auto isa : neox::supported_isas()) {
    neox::set_isa(isa);
    fn(neox::isa_name(isa));
  }
  neox::set_isa(neox::supported_isas().back());
}
}  // namespace

TEST(lion_sign_of_zero_only_decays) {
  for_each_isa([](const char* isa) {
    // Even elements: m = g = 0, so c = 0 and only the decay applies. Odd: c > 0, a full -lr step.
    std::vector<float> p(kN, 2.0f), g(kN), m(kN, 0.0f);
    for (int64_t i = 0; i < kN; ++i) g[i] = i % 2 ? 1.0f : 0.0f;
    neox::LionTensor t{p.data(), g.data(), m.data(), kN, 0.25f};
    std::vector<float> s = scalars(0.5f, 1.0f);
    neox::lion_step(&t, 1, 0.9, 0.99, s.data());
    const float decay = static_cast<float>(1.0 - 0.5 * 0.25);  // 0.875, exact
    for (int64_t i = 0; i < kN; ++i) {
      float want = i % 2 ? 2.0f * decay - 0.5f : 2.0f * decay;
      CHECK(p[i] == want) << isa << " p[" << i << "] = " << p[i] << ", want " << want;
      float want_m = i % 2 ? static_cast<float>(1.0 - 0.99) : 0.0f;
      CHECK(m[i] == want_m) << isa << " m[" << i << "] = " << m[i];
    }
  });
}

TEST(sgd_momentum_starts_from_the_first_gradient) {
  for_each_isa([](const char* isa) {
    // lr 0.5, momentum 0.5, g = 1: t=1 buf = 1, p = 1 - 0.5 = 0.5; t=2 buf = 0.5 + 1 = 1.5,
    // p = 0.5 - 0.75 = -0.25 (all exact in binary).
    std::vector<float> p(kN, 1.0f), g(kN, 1.0f), buf(kN, 123.0f);
    neox::SgdTensor t{p.data(), g.data(), buf.data(), kN, 0.0f};
    std::vector<float> s1 = scalars(0.5f, 1.0f), s2 = scalars(0.5f, 2.0f);
    neox::sgd_step(&t, 1, 0.5, 0.0, false, s1.data());
    for (int64_t i = 0; i < kN; ++i) CHECK(buf[i] == 1.0f && p[i] == 0.5f) << isa << " t=1 [" << i << "]";
    neox::sgd_step(&t, 1, 0.5, 0.0, false, s2.data());
    for (int64_t i = 0; i < kN; ++i) CHECK(buf[i] == 1.5f && p[i] == -0.25f) << isa << " t=2 [" << i << "]";
    // Nesterov at t=1: d = 1 + 0.5·1 = 1.5, p = 1 - 0.75 = 0.25.
    std::vector<float> q(kN, 1.0f);
    neox::SgdTensor n{q.data(), g.data(), buf.data(), kN, 0.0f};
    neox::sgd_step(&n, 1, 0.5, 0.0, true, s1.data());
    for (int64_t i = 0; i < kN; ++i) CHECK(q[i] == 0.25f) << isa << " nesterov [" << i << "] = " << q[i];
  });
}

TEST(skipped_steps_touch_nothing) {
  for_each_isa([](const char* isa) {
    std::vector<float> p(kN, 1.0f), g(kN, 0.5f), m(kN, 0.25f), v(kN, 0.125f);
    neox::AdamWTensor a{p.data(), g.data(), m.data(), v.data(), kN, 0.1f};
    neox::LionTensor l{p.data(), g.data(), m.data(), kN, 0.1f};
    neox::SgdTensor sg{p.data(), g.data(), m.data(), kN, 0.1f};
    for (std::vector<float> s : {scalars(0.5f, 3.0f, 1.0f, 1.0f), scalars(0.5f, 0.0f)}) {
      neox::adamw_step(&a, 1, 0.9, 0.999, 1e-8f, s.data());
      neox::sgd_step(&sg, 1, 0.9, 0.0, false, s.data());
      if (s[neox::kSlotFoundInf] != 0.0f) neox::lion_step(&l, 1, 0.9, 0.99, s.data());
    }
    for (int64_t i = 0; i < kN; ++i)
      CHECK(p[i] == 1.0f && m[i] == 0.25f && v[i] == 0.125f) << isa << " [" << i << "] changed";
  });
}

TEST(prepare_grads_norm_coefficient_and_nan_flag) {
  for_each_isa([](const char* isa) {
    // ‖(3, 4, 0…)‖ = 5; unscale 0.5 → grad_norm 2.5; max_norm 1 → grad_scale 0.5/(2.5 + 1e-6).
    std::vector<float> a(kN, 0.0f), b{3.0f, 4.0f};
    neox::TensorRef ts[2] = {{a.data(), kN}, {b.data(), 2}};
    std::vector<float> s(neox::kStepSlotCount, 0.0f);
    s[neox::kSlotUnscale] = 0.5f;
    s[neox::kSlotMaxNorm] = 1.0f;
    neox::prepare_grads(ts, 2, s.data());
    CHECK(s[neox::kSlotGradNorm] == 2.5f) << isa << " grad_norm " << s[neox::kSlotGradNorm];
    CHECK(s[neox::kSlotGradScale] == static_cast<float>(0.5 / (2.5 + 1e-6))) << isa;
    CHECK(s[neox::kSlotFoundInf] == 0.0f) << isa;
    s[neox::kSlotMaxNorm] = 0.0f;  // no clipping: grad_scale is unscale alone
    neox::prepare_grads(ts, 2, s.data());
    CHECK(s[neox::kSlotGradScale] == 0.5f) << isa;
    a[kN - 1] = std::nanf("");
    neox::prepare_grads(ts, 2, s.data());
    CHECK(s[neox::kSlotFoundInf] == 1.0f) << isa << " NaN not flagged";
    CHECK(std::isnan(s[neox::kSlotGradNorm])) << isa;
  });
}
