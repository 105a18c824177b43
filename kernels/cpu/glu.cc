// SwiGLU / GeGLU / ReGLU forward and backward (activation formulas in gelu-math.h).
#include "glu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "gelu-math.h"

namespace {
// ReLU: max(g, 0) keeps NaN (vmax returns its second operand); its derivative is 1 where g > 0
// and 0 elsewhere, torch's convention at 0.
inline VecF act_value(VecF g, GluKind kind) {
  if (kind == GluKind::Reglu) return vmax(VecF::zero(), g);
  return kind == GluKind::Swiglu ? silu_value(g) : gelu_value(g, kind == GluKind::GegluTanh);
}
inline VecF act_grad(VecF g, GluKind kind) {
  if (kind == GluKind::Reglu) return select_lt(VecF::zero(), g, VecF::set1(1.0f), VecF::zero());
  return kind == GluKind::Swiglu ? silu_grad(g) : gelu_grad(g, kind == GluKind::GegluTanh);
}
}  // namespace

void glu_forward(float* out, const float* inp, int64_t N, int64_t C, GluKind kind) {
  const bool nt = streaming(N * C * 4);
  parallel_for(N, row_grain(2 * C), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      const float* x = inp + n * 2 * C;
      const float* g = x + C;
      float* o = out + n * C;
      for (int64_t c = 0; c < C; c += VecF::W) {
        int k = lanes(c, C);
        store_out(o + c, act_value(VecF::load(g + c, k), kind) * VecF::load(x + c, k), k, nt);
      }
    }
    stream_fence(nt);
  });
}

void glu_backward(float* dinp, const float* dout, const float* inp, int64_t N, int64_t C, GluKind kind) {
  const bool nt = streaming(N * 2 * C * 4);
  parallel_for(N, row_grain(2 * C), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      const float* x = inp + n * 2 * C;
      const float* g = x + C;
      const float* d = dout + n * C;
      float* dx = dinp + n * 2 * C;
      float* dg = dx + C;
      for (int64_t c = 0; c < C; c += VecF::W) {
        int k = lanes(c, C);
        VecF gv = VecF::load(g + c, k), dv = VecF::load(d + c, k);
        store_out(dx + c, dv * act_value(gv, kind), k, nt);
        store_out(dg + c, dv * VecF::load(x + c, k) * act_grad(gv, kind), k, nt);
      }
    }
    stream_fence(nt);
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void glu_forward(float* out, const float* inp, int64_t N, int64_t C, GluKind kind) {
  NEOX_DISPATCH(glu_forward, out, inp, N, C, kind);
}
void glu_backward(float* dinp, const float* dout, const float* inp, int64_t N, int64_t C, GluKind kind) {
  NEOX_DISPATCH(glu_backward, dinp, dout, inp, N, C, kind);
}
}  // namespace neox
#endif
