// Fused softmax cross-entropy forward (loss, log-sum-exp) and backward (dlogits), and both in one
// call (cross_entropy_fused). Each row is read twice in the forward (max, then Σexp) while it sits
// in L2, and once in the backward; the fused call reads it from memory once for all three passes.
#include "cross-entropy.h"

#include <vector>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

namespace {
int64_t first_bad_target(const int32_t* targets, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n) {
    if (targets[n] >= V) return n;
  }
  return -1;
}

inline float row_weight(const int32_t* targets, const float* mask, int64_t n) {
  if (targets[n] < 0) return 0.0f;
  return mask != nullptr ? mask[n] : 1.0f;
}

double mask_sum(const int32_t* targets, const float* mask, int64_t N) {
  double s = 0.0;
  for (int64_t n = 0; n < N; ++n) s += row_weight(targets, mask, n);
  return s;
}

float row_lse(const float* x, int64_t V) {
  VecF mx = VecF::set1(-INFINITY);
  for (int64_t v = 0; v < V; v += VecF::W) mx = vmax(mx, load_or(x + v, lanes(v, V), -INFINITY));
  float m = mx.max();
  VecF mv = VecF::set1(m);
  VecF s = VecF::zero();
  for (int64_t v = 0; v < V; v += VecF::W) {
    int k = lanes(v, V);
    s = s + keep_first(vexp(VecF::load(x + v, k) - mv), k);
  }
  return m + std::log(s.sum());
}
}  // namespace

int64_t cross_entropy_forward(float* loss, float* losses, float* lse, const float* logits,
                              const int32_t* targets, const float* mask, int64_t N, int64_t V) {
  int64_t bad = first_bad_target(targets, N, V);
  if (bad >= 0) return bad;
  int64_t chunks = reduction_chunks(N, 1);
  int64_t per = (N + chunks - 1) / chunks;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t k = cb; k < ce; ++k) {
      int64_t n1 = (k + 1) * per < N ? (k + 1) * per : N;
      double acc = 0.0;
      for (int64_t n = k * per; n < n1; ++n) {
        const float* x = logits + n * V;
        float l = row_lse(x, V);
        float ce = targets[n] >= 0 ? l - x[targets[n]] : 0.0f;
        if (lse != nullptr) lse[n] = l;
        if (losses != nullptr) losses[n] = ce;
        float w = row_weight(targets, mask, n);
        if (w != 0.0f) acc += static_cast<double>(ce) * w;
      }
      partial[static_cast<size_t>(k)] = acc;
    }
  });
  double total = 0.0;
  for (double p : partial) total += p;
  double denom = mask_sum(targets, mask, N);
  loss[0] = denom != 0.0 ? static_cast<float>(total / denom) : 0.0f;
  return -1;
}

int64_t cross_entropy_backward(float* dlogits, const float* logits, const float* lse, const int32_t* targets,
                               const float* mask, float dloss, int64_t N, int64_t V) {
  int64_t bad = first_bad_target(targets, N, V);
  if (bad >= 0) return bad;
  double denom = mask_sum(targets, mask, N);
  float scale = denom != 0.0 ? static_cast<float>(dloss / denom) : 0.0f;
  // In place (dlogits == logits) the lines are already cached: streaming would gain nothing.
  const bool nt = dlogits != logits && streaming(N * V * 4);
  parallel_for(N, row_grain(V), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      const float* x = logits + n * V;
      float* dx = dlogits + n * V;
      float w = scale * row_weight(targets, mask, n);
      if (w == 0.0f) {
        for (int64_t v = 0; v < V; v += VecF::W) store_out(dx + v, VecF::zero(), lanes(v, V), nt);
        continue;
      }
      VecF lv = VecF::set1(lse[n]), wv = VecF::set1(w);
      // The target's element is written last, as an ordinary store after the fence.
      for (int64_t v = 0; v < V; v += VecF::W) {
        int k = lanes(v, V);
        store_out(dx + v, wv * vexp(VecF::load(x + v, k) - lv), k, nt);
      }
      stream_fence(nt);
      dx[targets[n]] -= w;
    }
    stream_fence(nt);
  });
  return -1;
}

int64_t cross_entropy_fused(float* loss, float* losses, float* dlogits, const float* logits,
                            const int32_t* targets, const float* mask, float dloss, int64_t N, int64_t V) {
  int64_t bad = first_bad_target(targets, N, V);
  if (bad >= 0) return bad;
  double denom = mask_sum(targets, mask, N);
  float scale = denom != 0.0 ? static_cast<float>(dloss / denom) : 0.0f;
  const bool nt = dlogits != logits && streaming(N * V * 4);
  int64_t chunks = reduction_chunks(N, 1);
  int64_t per = (N + chunks - 1) / chunks;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t cb, int64_t ce_end) {
    for (int64_t k = cb; k < ce_end; ++k) {
      int64_t n1 = (k + 1) * per < N ? (k + 1) * per : N;
      double acc = 0.0;
      for (int64_t n = k * per; n < n1; ++n) {
        const float* x = logits + n * V;
        float* dx = dlogits + n * V;
        float l = row_lse(x, V);  // the row stays in L2 for the gradient pass below
        float ce = targets[n] >= 0 ? l - x[targets[n]] : 0.0f;
        if (losses != nullptr) losses[n] = ce;
        float m = row_weight(targets, mask, n);
        if (m != 0.0f) acc += static_cast<double>(ce) * m;
        float w = scale * m;
        if (w == 0.0f) {
          for (int64_t v = 0; v < V; v += VecF::W) store_out(dx + v, VecF::zero(), lanes(v, V), nt);
          continue;
        }
        VecF lv = VecF::set1(l), wv = VecF::set1(w);
        for (int64_t v = 0; v < V; v += VecF::W) {
          int kk = lanes(v, V);
          store_out(dx + v, wv * vexp(VecF::load(x + v, kk) - lv), kk, nt);
        }
        stream_fence(nt);
        dx[targets[n]] -= w;
      }
      partial[static_cast<size_t>(k)] = acc;
    }
    stream_fence(nt);
  });
  double total = 0.0;
  for (double p : partial) total += p;
  loss[0] = denom != 0.0 ? static_cast<float>(total / denom) : 0.0f;
  return -1;
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
int64_t cross_entropy_forward(float* loss, float* losses, float* lse, const float* logits,
                              const int32_t* targets, const float* mask, int64_t N, int64_t V) {
  NEOX_DISPATCH(cross_entropy_forward, loss, losses, lse, logits, targets, mask, N, V);
}
int64_t cross_entropy_backward(float* dlogits, const float* logits, const float* lse, const int32_t* targets,
                               const float* mask, float dloss, int64_t N, int64_t V) {
  NEOX_DISPATCH(cross_entropy_backward, dlogits, logits, lse, targets, mask, dloss, N, V);
}
int64_t cross_entropy_fused(float* loss, float* losses, float* dlogits, const float* logits,
                            const int32_t* targets, const float* mask, float dloss, int64_t N, int64_t V) {
  NEOX_DISPATCH(cross_entropy_fused, loss, losses, dlogits, logits, targets, mask, dloss, N, V);
}
}  // namespace neox
#endif
