// RMS norm forward and backward. N rows, C channels.
//   forward:  rstd = 1/√(Σx²/C + eps), y = x·rstd·w
//   backward: n̂ = x·rstd, g = dy·w,  dx = rstd·(g - n̂·mean(g·n̂)),  dw += Σ_rows dy·n̂
#include "rms-norm.h"

#include <vector>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "norm-io.h"

namespace {
template <typename T>
void forward_rows(T* out, float* rstd, const T* inp, const float* weight, int64_t N, int64_t C, float eps) {
  const bool nt = streaming(N * C * static_cast<int64_t>(sizeof(T)));
  parallel_for(N, row_grain(C), [&](int64_t b, int64_t e) {
    std::vector<float> scratch = row_scratch<T>(C);
    for (int64_t n = b; n < e; ++n) {
      const float* x = row_f32(inp + n * C, scratch.data(), C);
      T* y = out + n * C;
      VecF q = VecF::zero();
      for (int64_t c = 0; c < C; c += VecF::W) {
        VecF v = VecF::load(x + c, lanes(c, C));
        q = fma(v, v, q);
      }
      float r = 1.0f / std::sqrt(q.sum() / static_cast<float>(C) + eps);
      VecF rv = VecF::set1(r);
      for (int64_t c = 0; c < C; c += VecF::W) {
        int k = lanes(c, C);
        VecF v = VecF::load(x + c, k) * rv;
        if (weight != nullptr) v = v * VecF::load(weight + c, k);
        store_row(y + c, v, k, nt);
      }
      if (rstd != nullptr) rstd[n] = r;
    }
    stream_fence(nt);
  });
}

template <typename T>
void backward_rows(T* dinp, float* dweight, const T* dout, const T* inp, const float* weight,
                   const float* rstd, int64_t N, int64_t C) {
  int64_t chunks = reduction_chunks(N, row_grain(C));
  int64_t per = (N + chunks - 1) / chunks;
  std::vector<float> partial(static_cast<size_t>(chunks * C), 0.0f);  // per-chunk Σ dy·n̂
  const bool nt = streaming(N * C * static_cast<int64_t>(sizeof(T)));
  parallel_for(chunks, 1, [&](int64_t cb, int64_t ce) {
    std::vector<float> sx = row_scratch<T>(C), sdy = row_scratch<T>(C);
    for (int64_t k = cb; k < ce; ++k) {
      float* pw = partial.data() + k * C;
      int64_t n1 = (k + 1) * per < N ? (k + 1) * per : N;
      for (int64_t n = k * per; n < n1; ++n) {
        const float* x = row_f32(inp + n * C, sx.data(), C);
        const float* dy = row_f32(dout + n * C, sdy.data(), C);
        VecF rv = VecF::set1(rstd[n]);
        VecF sgn = VecF::zero();
        for (int64_t c = 0; c < C; c += VecF::W) {
          int w = lanes(c, C);
          VecF nh = VecF::load(x + c, w) * rv;
          VecF d = VecF::load(dy + c, w);
          VecF g = weight != nullptr ? d * VecF::load(weight + c, w) : d;
          sgn = fma(g, nh, sgn);
          fma(d, nh, VecF::load(pw + c, w)).store(pw + c, w);
        }
        VecF mgn = VecF::set1(sgn.sum() / static_cast<float>(C));
        T* dx = dinp + n * C;
        for (int64_t c = 0; c < C; c += VecF::W) {
          int w = lanes(c, C);
          VecF nh = VecF::load(x + c, w) * rv;
          VecF d = VecF::load(dy + c, w);
          VecF g = weight != nullptr ? d * VecF::load(weight + c, w) : d;
          store_row(dx + c, rv * (g - nh * mgn), w, nt);
        }
      }
    }
    stream_fence(nt);
  });
  if (dweight == nullptr) return;
  for (int64_t c = 0; c < C; ++c) {
    float s = 0.0f;
    for (int64_t k = 0; k < chunks; ++k) s += partial[static_cast<size_t>(k * C + c)];
    dweight[c] += s;
  }
}
}  // namespace

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                     float eps) {
  forward_rows(out, rstd, inp, weight, N, C, eps);
}
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, int64_t N, int64_t C) {
  backward_rows(dinp, dweight, dout, inp, weight, rstd, N, C);
}
void rmsnorm_forward_bf16(uint16_t* out, float* rstd, const uint16_t* inp, const float* weight, int64_t N,
                          int64_t C, float eps) {
  forward_rows(out, rstd, inp, weight, N, C, eps);
}
void rmsnorm_backward_bf16(uint16_t* dinp, float* dweight, const uint16_t* dout, const uint16_t* inp,
                           const float* weight, const float* rstd, int64_t N, int64_t C) {
  backward_rows(dinp, dweight, dout, inp, weight, rstd, N, C);
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                     float eps) {
  NEOX_DISPATCH(rmsnorm_forward, out, rstd, inp, weight, N, C, eps);
}
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, int64_t N, int64_t C) {
  NEOX_DISPATCH(rmsnorm_backward, dinp, dweight, dout, inp, weight, rstd, N, C);
}
void rmsnorm_forward_bf16(uint16_t* out, float* rstd, const uint16_t* inp, const float* weight, int64_t N,
                          int64_t C, float eps) {
  NEOX_DISPATCH(rmsnorm_forward_bf16, out, rstd, inp, weight, N, C, eps);
}
void rmsnorm_backward_bf16(uint16_t* dinp, float* dweight, const uint16_t* dout, const uint16_t* inp,
                           const float* weight, const float* rstd, int64_t N, int64_t C) {
  NEOX_DISPATCH(rmsnorm_backward_bf16, dinp, dweight, dout, inp, weight, rstd, N, C);
}
}  // namespace neox
#endif
