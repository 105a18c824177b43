// Layer norm forward and backward, fp32 or bf16 activations with fp32 statistics (bf16 rows are
// widened once per row, norm-io.h).
// B·T rows are N here; C channels.
//   forward:  mean = Σx/C, var = Σ(x-mean)²/C, rstd = 1/√(var+eps), y = (x-mean)·rstd·w + b
//   backward: n̂ = (x-mean)·rstd, g = dy·w,
//             dx = rstd·(g - mean(g) - n̂·mean(g·n̂)),  dw += Σ_rows dy·n̂,  db += Σ_rows dy
// (the standard derivation, as in llm.c's layernorm_backward). Both passes run over a row that is
// still in L1/L2, so reading it twice costs no memory traffic.
#include "layer-norm.h"

#include <vector>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {
#include "norm-io.h"

namespace {
template <typename T>
void forward_rows(T* out, float* mean, float* rstd, const T* inp, const float* weight, const float* bias,
                  int64_t N, int64_t C, float eps) {
  const bool nt = streaming(N * C * static_cast<int64_t>(sizeof(T)));
  parallel_for(N, row_grain(C), [&](int64_t b, int64_t e) {
    std::vector<float> scratch = row_scratch<T>(C);
    for (int64_t n = b; n < e; ++n) {
      const float* x = row_f32(inp + n * C, scratch.data(), C);
      T* y = out + n * C;
      VecF s = VecF::zero();
      for (int64_t c = 0; c < C; c += VecF::W) s = s + VecF::load(x + c, lanes(c, C));
      float m = s.sum() / static_cast<float>(C);
      VecF mv = VecF::set1(m);
      VecF q = VecF::zero();
      for (int64_t c = 0; c < C; c += VecF::W) {
        int k = lanes(c, C);
        VecF d = keep_first(VecF::load(x + c, k) - mv, k);  // lanes past the row's end stay zero
        q = fma(d, d, q);
      }
      float r = 1.0f / std::sqrt(q.sum() / static_cast<float>(C) + eps);
      VecF rv = VecF::set1(r);
      for (int64_t c = 0; c < C; c += VecF::W) {
        int k = lanes(c, C);
        VecF v = (VecF::load(x + c, k) - mv) * rv;
        if (weight != nullptr) v = v * VecF::load(weight + c, k);
        if (bias != nullptr) v = v + VecF::load(bias + c, k);
        store_row(y + c, v, k, nt);
      }
      if (mean != nullptr) mean[n] = m;
      if (rstd != nullptr) rstd[n] = r;
    }
    stream_fence(nt);
  });
}

template <typename T>
void backward_rows(T* dinp, float* dweight, float* dbias, const T* dout, const T* inp, const float* weight,
                   const float* mean, const float* rstd, int64_t N, int64_t C) {
  int64_t chunks = reduction_chunks(N, row_grain(C));
  int64_t per = (N + chunks - 1) / chunks;
  // Per-chunk partial sums of dw (first C) and db (next C).
  std::vector<float> partial(static_cast<size_t>(chunks * 2 * C), 0.0f);
  const bool nt = streaming(N * C * static_cast<int64_t>(sizeof(T)));
  parallel_for(chunks, 1, [&](int64_t cb, int64_t ce) {
    std::vector<float> sx = row_scratch<T>(C), sdy = row_scratch<T>(C);
    for (int64_t k = cb; k < ce; ++k) {
      float* pw = partial.data() + k * 2 * C;
      float* pb = pw + C;
      int64_t n1 = (k + 1) * per < N ? (k + 1) * per : N;
      for (int64_t n = k * per; n < n1; ++n) {
        const float* x = row_f32(inp + n * C, sx.data(), C);
        const float* dy = row_f32(dout + n * C, sdy.data(), C);
        VecF mv = VecF::set1(mean[n]), rv = VecF::set1(rstd[n]);
        VecF sg = VecF::zero(), sgn = VecF::zero();
        for (int64_t c = 0; c < C; c += VecF::W) {
          int w = lanes(c, C);
          VecF nh = (VecF::load(x + c, w) - mv) * rv;
          VecF d = VecF::load(dy + c, w);
          VecF g = weight != nullptr ? d * VecF::load(weight + c, w) : d;
          sg = sg + g;
          sgn = fma(g, nh, sgn);
          (VecF::load(pw + c, w) + d * nh).store(pw + c, w);
          (VecF::load(pb + c, w) + d).store(pb + c, w);
        }
        VecF mg = VecF::set1(sg.sum() / static_cast<float>(C));
        VecF mgn = VecF::set1(sgn.sum() / static_cast<float>(C));
        T* dx = dinp + n * C;
        for (int64_t c = 0; c < C; c += VecF::W) {
          int w = lanes(c, C);
          VecF nh = (VecF::load(x + c, w) - mv) * rv;
          VecF d = VecF::load(dy + c, w);
          VecF g = weight != nullptr ? d * VecF::load(weight + c, w) : d;
          store_row(dx + c, rv * (g - mg - nh * mgn), w, nt);
        }
      }
    }
    stream_fence(nt);
  });
  for (int64_t c = 0; c < C; ++c) {
    float sw = 0.0f, sb = 0.0f;
    for (int64_t k = 0; k < chunks; ++k) {
      sw += partial[static_cast<size_t>(k * 2 * C + c)];
      sb += partial[static_cast<size_t>(k * 2 * C + C + c)];
    }
    if (dweight != nullptr) dweight[c] += sw;
    if (dbias != nullptr) dbias[c] += sb;
  }
}
}  // namespace

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps) {
  forward_rows(out, mean, rstd, inp, weight, bias, N, C, eps);
}
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, const float* mean, const float* rstd, int64_t N, int64_t C) {
  backward_rows(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}
void layernorm_forward_bf16(uint16_t* out, float* mean, float* rstd, const uint16_t* inp, const float* weight,
                            const float* bias, int64_t N, int64_t C, float eps) {
  forward_rows(out, mean, rstd, inp, weight, bias, N, C, eps);
}
void layernorm_backward_bf16(uint16_t* dinp, float* dweight, float* dbias, const uint16_t* dout,
                             const uint16_t* inp, const float* weight, const float* mean, const float* rstd,
                             int64_t N, int64_t C) {
  backward_rows(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int64_t N, int64_t C, float eps) {
  NEOX_DISPATCH(layernorm_forward, out, mean, rstd, inp, weight, bias, N, C, eps);
}
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, const float* mean, const float* rstd, int64_t N, int64_t C) {
  NEOX_DISPATCH(layernorm_backward, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}
void layernorm_forward_bf16(uint16_t* out, float* mean, float* rstd, const uint16_t* inp, const float* weight,
                            const float* bias, int64_t N, int64_t C, float eps) {
  NEOX_DISPATCH(layernorm_forward_bf16, out, mean, rstd, inp, weight, bias, N, C, eps);
}
void layernorm_backward_bf16(uint16_t* dinp, float* dweight, float* dbias, const uint16_t* dout,
                             const uint16_t* inp, const float* weight, const float* mean, const float* rstd,
                             int64_t N, int64_t C) {
  NEOX_DISPATCH(layernorm_backward_bf16, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}
}  // namespace neox
#endif
