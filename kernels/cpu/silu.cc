// SiLU forward and backward (formulas in gelu-math.h, shared with SwiGLU in glu.cc).
#include "silu.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "gelu-math.h"

void silu_forward(float* out, const float* inp, int64_t n) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(inp + i);
      store_out(out + i, silu_value(VecF::load(inp + i, k)), k, nt);
    }
    stream_fence(nt);
  });
}

void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(dout + i);
      prefetch_ahead(inp + i);
      store_out(dinp + i, VecF::load(dout + i, k) * silu_grad(VecF::load(inp + i, k)), k, nt);
    }
    stream_fence(nt);
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void silu_forward(float* out, const float* inp, int64_t n) { NEOX_DISPATCH(silu_forward, out, inp, n); }
void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  NEOX_DISPATCH(silu_backward, dinp, dout, inp, n);
}
}  // namespace neox
#endif
