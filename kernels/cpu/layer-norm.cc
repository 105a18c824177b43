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
// Loads the next row into the caches while the current one is normalised (the passes over a row
// are short, so the hardware prefetcher alone left each row's first pass waiting on memory). At
// most 8 KB: wider rows are streamed by the hardware prefetcher well enough.
// Output stores: fp32 and bf16 rows both go around the cache when streaming (norm-io.h's
// store_row writes bf16 normally, which costs a read-for-ownership of every output line).
inline void store_ln(float* p, VecF v, int k, bool nt) { store_out(p, v, k, nt); }
inline void store_ln(uint16_t* p, VecF v, int k, bool nt) { store_out_bf16(p, v, k, nt); }
inline void store_ln_pair(float* p, VecF a, VecF b, bool nt) {
  store_out(p, a, VecF::W, nt);
  store_out(p + VecF::W, b, VecF::W, nt);
}
inline void store_ln_pair(uint16_t* p, VecF a, VecF b, bool nt) { store_out_bf16_pair(p, a, b, nt); }

template <typename T>
inline void prefetch_row(const T* p, int64_t C) {
  const char* c = reinterpret_cast<const char*>(p);
  int64_t bytes = C * static_cast<int64_t>(sizeof(T));
  if (bytes > 8192) bytes = 8192;
  for (int64_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o, 0, 3);
}

// Σx and Σ(x - m)² over a row in L1 with four independent accumulators (a single one would wait
// on the add latency for every vector).
inline float row_sum(const float* x, int64_t C) {
  const int64_t W = VecF::W;
  VecF s0 = VecF::zero(), s1 = s0, s2 = s0, s3 = s0;
  int64_t c = 0;
  for (; c + 4 * W <= C; c += 4 * W) {
    s0 = s0 + VecF::load(x + c);
    s1 = s1 + VecF::load(x + c + W);
    s2 = s2 + VecF::load(x + c + 2 * W);
    s3 = s3 + VecF::load(x + c + 3 * W);
  }
  for (; c < C; c += W) s0 = s0 + VecF::load(x + c, lanes(c, C));  // missing lanes load as zero
  return ((s0 + s1) + (s2 + s3)).sum();
}
// The row as fp32 and its sum in one pass: the row itself, or its bf16 widened into `scratch`
// while summing (norm-io.h's row_f32 followed by row_sum would read it twice).
inline const float* load_row_sum(const float* x, float*, int64_t C, float* sum) {
  *sum = row_sum(x, C);
  return x;
}
inline const float* load_row_sum(const uint16_t* x, float* scratch, int64_t C, float* sum) {
  const int64_t W = VecF::W;
  VecF s0 = VecF::zero(), s1 = s0, s2 = s0, s3 = s0;
  int64_t c = 0;
  for (; c + 4 * W <= C; c += 4 * W) {
    VecF a0 = VecF::load_bf16(x + c), a1 = VecF::load_bf16(x + c + W);
    VecF a2 = VecF::load_bf16(x + c + 2 * W), a3 = VecF::load_bf16(x + c + 3 * W);
    a0.store(scratch + c);
    a1.store(scratch + c + W);
    a2.store(scratch + c + 2 * W);
    a3.store(scratch + c + 3 * W);
    s0 = s0 + a0;
    s1 = s1 + a1;
    s2 = s2 + a2;
    s3 = s3 + a3;
  }
  for (; c < C; c += W) {
    int k = lanes(c, C);
    VecF a = VecF::load_bf16(x + c, k);  // missing lanes load as zero
    a.store(scratch + c, k);
    s0 = s0 + a;
  }
  *sum = ((s0 + s1) + (s2 + s3)).sum();
  return scratch;
}
inline float row_sq_dev(const float* x, float m, int64_t C) {
  const int64_t W = VecF::W;
  VecF mv = VecF::set1(m);
  VecF q0 = VecF::zero(), q1 = q0, q2 = q0, q3 = q0;
  int64_t c = 0;
  for (; c + 4 * W <= C; c += 4 * W) {
    VecF d0 = VecF::load(x + c) - mv, d1 = VecF::load(x + c + W) - mv;
    VecF d2 = VecF::load(x + c + 2 * W) - mv, d3 = VecF::load(x + c + 3 * W) - mv;
    q0 = fma(d0, d0, q0);
    q1 = fma(d1, d1, q1);
    q2 = fma(d2, d2, q2);
    q3 = fma(d3, d3, q3);
  }
  for (; c < C; c += W) {
    int k = lanes(c, C);
    VecF d = keep_first(VecF::load(x + c, k) - mv, k);  // lanes past the row's end stay zero
    q0 = fma(d, d, q0);
  }
  return ((q0 + q1) + (q2 + q3)).sum();
}

// y = (x - m)·r·w + b over one row. A function of its own, so that every operand is a local the
// compiler keeps in registers across the may-alias non-temporal stores.
template <typename T>
void normalize_row(T* y, const float* x, float m, float r, const float* weight, const float* bias, int64_t C,
                   bool nt) {
  VecF mv = VecF::set1(m), rv = VecF::set1(r);
  if (weight != nullptr && bias != nullptr) {
    const int64_t W = VecF::W;
    int64_t c = 0;
    for (; c + 2 * W <= C; c += 2 * W) {
      VecF a = fma((VecF::load(x + c) - mv) * rv, VecF::load(weight + c), VecF::load(bias + c));
      VecF b = fma((VecF::load(x + c + W) - mv) * rv, VecF::load(weight + c + W), VecF::load(bias + c + W));
      store_ln_pair(y + c, a, b, nt);
    }
    for (; c + W <= C; c += W) {
      store_ln(y + c, fma((VecF::load(x + c) - mv) * rv, VecF::load(weight + c), VecF::load(bias + c)), W, nt);
    }
    if (c < C) {
      int k = lanes(c, C);
      store_ln(y + c, fma((VecF::load(x + c, k) - mv) * rv, VecF::load(weight + c, k), VecF::load(bias + c, k)),
               k, nt);
    }
    return;
  }
  for (int64_t c = 0; c < C; c += VecF::W) {
    int k = lanes(c, C);
    VecF v = (VecF::load(x + c, k) - mv) * rv;
    if (weight != nullptr) v = v * VecF::load(weight + c, k);
    if (bias != nullptr) v = v + VecF::load(bias + c, k);
    store_ln(y + c, v, k, nt);
  }
}

template <typename T>
void forward_rows(T* out, float* mean, float* rstd, const T* inp, const float* weight, const float* bias,
                  int64_t N, int64_t C, float eps) {
  const bool nt = streaming(N * C * static_cast<int64_t>(sizeof(T)));
  // Captured by value: the non-temporal stores go through may-alias vector pointers, which would
  // otherwise make the compiler reload every captured variable after each store.
  parallel_for(N, row_grain(C), [=](int64_t b, int64_t e) {
    // Software-pipelined by one row: the statistics of row n + 1 (two reductions, a division and a
    // square root, a latency chain) are computed before row n is written, so the out-of-order core
    // overlaps that chain with row n's independent output pass. bf16 rows alternate between two
    // widened scratch rows.
    std::vector<float> scratch = row_scratch<T>(2 * C);
    float* sc[2] = {scratch.data(), scratch.empty() ? nullptr : scratch.data() + C};
    auto stats = [&](int64_t n, const float** x, float* m, float* r) {
      if (n + 2 < e) prefetch_row(inp + (n + 2) * C, C);
      float sum;
      *x = load_row_sum(inp + n * C, sc[n & 1], C, &sum);
      *m = sum / static_cast<float>(C);
      *r = 1.0f / std::sqrt(row_sq_dev(*x, *m, C) / static_cast<float>(C) + eps);
    };
    const float* x;
    float m, r;
    stats(b, &x, &m, &r);
    for (int64_t n = b; n < e; ++n) {
      const float* x1 = nullptr;
      float m1 = 0.0f, r1 = 0.0f;
      if (n + 1 < e) stats(n + 1, &x1, &m1, &r1);
      normalize_row(out + n * C, x, m, r, weight, bias, C, nt);
      if (mean != nullptr) mean[n] = m;
      if (rstd != nullptr) rstd[n] = r;
      x = x1;
      m = m1;
      r = r1;
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
          store_ln(dx + c, rv * (g - mg - nh * mgn), w, nt);
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
