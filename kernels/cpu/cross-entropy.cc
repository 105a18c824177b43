// Fused softmax cross-entropy forward (loss, log-sum-exp) and backward (dlogits), and both in one
// call (cross_entropy_fused). Each row is read twice in the forward (max, then Σexp) while it sits
// in L2, and once in the backward; the fused call reads it from memory once for all three passes
// and computes each exponential once (kept in an L2-resident row, then scaled into the gradient).
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

// Row maximum with four independent accumulators (one vmax chain would wait on its latency).
float row_max(const float* x, int64_t V) {
  const int64_t W = VecF::W;
  VecF m0 = VecF::set1(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  int64_t v = 0;
  for (; v + 4 * W <= V; v += 4 * W) {
    m0 = vmax(m0, VecF::load(x + v));
    m1 = vmax(m1, VecF::load(x + v + W));
    m2 = vmax(m2, VecF::load(x + v + 2 * W));
    m3 = vmax(m3, VecF::load(x + v + 3 * W));
  }
  for (; v < V; v += W) m0 = vmax(m0, load_or(x + v, lanes(v, V), -INFINITY));
  return vmax(vmax(m0, m1), vmax(m2, m3)).max();
}

// Σ_v exp(x[v] - m) with m the row maximum (every argument <= 0), two accumulators. When `e` is
// given, each term is also stored there (the fused kernel scales them into the gradient). `next`
// (the next row, or null) is fetched into L2 meanwhile: this pass is arithmetic-bound, and the
// next row's max pass then reads L2 instead of waiting on memory with little to compute.
float row_sum_exp(const float* x, float m, int64_t V, float* e, const float* next) {
  const int64_t W = VecF::W;
  VecF mv = VecF::set1(m);
  VecF s0 = VecF::zero(), s1 = VecF::zero();
  int64_t v = 0;
  for (; v + 2 * W <= V; v += 2 * W) {
    if (next != nullptr) {
      __builtin_prefetch(next + v, 0, 2);
      __builtin_prefetch(next + v + W, 0, 2);
    }
    VecF e0 = vexp_nonpos(VecF::load(x + v) - mv);
    VecF e1 = vexp_nonpos(VecF::load(x + v + W) - mv);
    if (e != nullptr) {
      e0.store(e + v);
      e1.store(e + v + W);
    }
    s0 = s0 + e0;
    s1 = s1 + e1;
  }
  for (; v < V; v += W) {
    int k = lanes(v, V);
    VecF e0 = keep_first(vexp_nonpos(VecF::load(x + v, k) - mv), k);
    if (e != nullptr) e0.store(e + v, k);
    s0 = s0 + e0;
  }
  return (s0 + s1).sum();
}

float row_lse(const float* x, int64_t V, const float* next) {
  float m = row_max(x, V);
  return m + std::log(row_sum_exp(x, m, V, nullptr, next));
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
        float l = row_lse(x, V, n + 1 < n1 ? x + V : nullptr);
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
                               const float* mask, const float* dloss, int64_t N, int64_t V) {
  int64_t bad = first_bad_target(targets, N, V);
  if (bad >= 0) return bad;
  double denom = mask_sum(targets, mask, N);
  float scale = denom != 0.0 ? static_cast<float>(static_cast<double>(*dloss) / denom) : 0.0f;
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
                            const int32_t* targets, const float* mask, const float* dloss, int64_t N, int64_t V) {
  int64_t bad = first_bad_target(targets, N, V);
  if (bad >= 0) return bad;
  double denom = mask_sum(targets, mask, N);
  float scale = denom != 0.0 ? static_cast<float>(static_cast<double>(*dloss) / denom) : 0.0f;
  const bool nt = dlogits != logits && streaming(N * V * 4);
  int64_t chunks = reduction_chunks(N, 1);
  int64_t per = (N + chunks - 1) / chunks;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t cb, int64_t ce_end) {
    // exp(x - max) of the current row, kept for the gradient pass: written and read back while in
    // L2 (a V-float row), so each logit's exponential is computed once. In place, dx is that row.
    std::vector<float> scratch(dlogits == logits ? 0 : static_cast<size_t>(V));
    for (int64_t k = cb; k < ce_end; ++k) {
      int64_t n1 = (k + 1) * per < N ? (k + 1) * per : N;
      double acc = 0.0;
      for (int64_t n = k * per; n < n1; ++n) {
        const float* x = logits + n * V;
        float* dx = dlogits + n * V;
        // x[target] is read before an in-place pass overwrites the row.
        float xt = targets[n] >= 0 ? x[targets[n]] : 0.0f;
        float* e = dlogits == logits ? dx : scratch.data();
        float mx = row_max(x, V);
        float sum = row_sum_exp(x, mx, V, e, n + 1 < n1 ? x + V : nullptr);
        float l = mx + std::log(sum);
        float ce = targets[n] >= 0 ? l - xt : 0.0f;
        if (losses != nullptr) losses[n] = ce;
        float m = row_weight(targets, mask, n);
        if (m != 0.0f) acc += static_cast<double>(ce) * m;
        float w = scale * m;
        if (w == 0.0f) {
          for (int64_t v = 0; v < V; v += VecF::W) store_out(dx + v, VecF::zero(), lanes(v, V), nt);
          continue;
        }
        // softmax = e / Σe; w/Σe is one scale (its rounding is one of fp32's, as exp(x - lse) was).
        VecF wv = VecF::set1(w / sum);
        for (int64_t v = 0; v < V; v += VecF::W) {
          int kk = lanes(v, V);
          store_out(dx + v, wv * VecF::load(e + v, kk), kk, nt);
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
                               const float* mask, const float* dloss, int64_t N, int64_t V) {
  NEOX_DISPATCH(cross_entropy_backward, dlogits, logits, lse, targets, mask, dloss, N, V);
}
int64_t cross_entropy_fused(float* loss, float* losses, float* dlogits, const float* logits,
                            const int32_t* targets, const float* mask, const float* dloss, int64_t N, int64_t V) {
  NEOX_DISPATCH(cross_entropy_fused, loss, losses, dlogits, logits, targets, mask, dloss, N, V);
}
}  // namespace neox
#endif
