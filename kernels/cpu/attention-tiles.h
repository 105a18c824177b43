// What the fused attention's forward (attention.cc) and backward (attention-backward.cc) share:
// the tile sizes, the active ISA's inner loops, per-thread workspaces, the work-item runner, the
// keys a query sees, fp32/bf16 element access, tile packing and the dropout plan of a call.
// HSP = HS rounded up to 16 (tiles are zero-padded so the micro-kernels see whole vectors).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>

#include "attention-isa.h"
#include "attention.h"
#include "runtime.h"
#include "vec.h"

namespace neox::attn_tiles {

constexpr int64_t BR = 64;  // query rows per tile
constexpr int64_t BC = 64;  // keys per tile

// The inner loops of the ISA in use (attention.cc).
const attn::IsaOps& ops_for_active_isa();

constexpr float kLog2e = 1.44269504088896341f;

inline int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

// Per-thread float workspaces, grown on demand and kept for the thread's lifetime, as the GEMM
// keeps its packing buffers (gemm.cc): workspace, not tensors, so not in alloc_stats, and a
// compiled training step makes no allocation calls once warm. `shared` holds what the calling
// thread prepares for all workers (packed K/V, dQ partials); `tile` is each worker's scratch.
struct Workspace {
  float* p = nullptr;
  size_t have = 0;
  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() { std::free(p); }
  float* get(int64_t floats) {
    const size_t want = (static_cast<size_t>(floats) * sizeof(float) + 4095) / 4096 * 4096;
    if (want > have) {
      std::free(p);
      p = nullptr;
      have = 0;
      p = static_cast<float*>(std::aligned_alloc(64, want));
      if (!p) throw std::bad_alloc();
      have = want;
    }
    return p;
  }
};
inline thread_local Workspace tl_shared;
inline thread_local Workspace tl_tile;

// Runs fn(item, scratch) for every item in [0, n) on the pool; threads take items in index
// order from a shared counter (callers list the costliest items first), each with its own
// 64-byte aligned scratch of `scratch_floats` floats.
template <class F>
inline void run_items(int64_t n, int64_t scratch_floats, F&& fn) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), n));
  parallel_for(workers, 1, [&](int64_t begin, int64_t end) {
    float* scratch = tl_tile.get(scratch_floats);
    for (int64_t w = begin; w < end; ++w) {
      for (int64_t it = next.fetch_add(1); it < n; it = next.fetch_add(1)) fn(it, scratch);
    }
  });
}

// Keys visible to the query at absolute position p, clipped to the tile [j0, j0 + bc), as
// offsets into the tile; lo >= hi when none.
struct Span {
  int64_t lo, hi;
};
inline Span visible(int64_t p, int64_t j0, int64_t bc, int64_t window) {
  const int64_t first = window >= 0 ? std::max(j0, p - window) : j0;
  const int64_t last = std::min(j0 + bc, p + 1);
  return {first - j0, last - j0};
}

// Element access for fp32 and bf16 (uint16_t bits) storage; arithmetic is always fp32.
template <class T>
inline float ld(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return *p;
  } else {
    return isa_scalar::bf16_to_f32(*p);
  }
}
template <class T>
inline void st(T* p, float x) {
  if constexpr (std::is_same_v<T, float>) {
    *p = x;
  } else {
    *p = isa_scalar::f32_to_bf16(x);
  }
}

// Packs `rows` rows (row stride st) of HS channels into a zero-padded (rows × HSP) fp32 tile.
template <class T>
inline void pack_rows(float* dst, const T* src, int64_t st, int64_t rows, int64_t hs, int64_t hsp) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = src + r * st;
    float* o = dst + r * hsp;
    for (int64_t e = 0; e < hs; ++e) o[e] = ld(s + e);
    for (int64_t e = hs; e < hsp; ++e) o[e] = 0.0f;
  }
}
// Packs `cols` rows transposed into a zero-padded (HSP × BC) fp32 tile.
template <class T>
inline void pack_transposed(float* dst, const T* src, int64_t st, int64_t cols, int64_t hs, int64_t hsp) {
  for (int64_t e = 0; e < hsp * BC; ++e) dst[e] = 0.0f;
  for (int64_t c = 0; c < cols; ++c) {
    const T* s = src + c * st;
    for (int64_t e = 0; e < hs; ++e) dst[e * BC + c] = ld(s + e);
  }
}

// Kᵀ or Vᵀ tile packing: fp32 through the ISA's transpose, bf16 element by element.
template <class T>
inline void pack_kt(float* dst, const T* src, int64_t st, int64_t cols, int64_t hs, int64_t hsp,
                    const attn::IsaOps& ops) {
  if constexpr (std::is_same_v<T, float>) {
    ops.transpose(dst, BC, src, st, static_cast<int>(cols), static_cast<int>(hs));
    for (int64_t e = 0; e < hs; ++e)
      for (int64_t c = cols; c < BC; ++c) dst[e * BC + c] = 0.0f;
    for (int64_t e = hs * BC; e < hsp * BC; ++e) dst[e] = 0.0f;
  } else {
    pack_transposed(dst, src, st, cols, hs, hsp);
  }
}

// The dropout constants of one call: threshold = floor(p·2^24) and scale 1/(1-p), as dropout.cc
// computes them, and the counter of element (b, h, i, j) (layout in attention.h).
struct DropPlan {
  bool on;
  uint32_t threshold;
  float c;
  uint64_t seed, offset;
  int64_t NH, Tq, Tk;
  DropPlan(const AttentionDropout& drop, const AttentionDims& d)
      : on(drop.p > 0.0f),
        threshold(static_cast<uint32_t>(drop.p * 16777216.0f)),
        c(1.0f / (1.0f - drop.p)),
        seed(drop.seed),
        offset(drop.offset),
        NH(d.NH),
        Tq(d.Tq),
        Tk(d.Tk) {}
  uint64_t counter(int64_t b, int64_t h, int64_t i, int64_t j) const {
    return offset + static_cast<uint64_t>(((b * NH + h) * Tq + i) * Tk + j);
  }
};

}  // namespace neox::attn_tiles
