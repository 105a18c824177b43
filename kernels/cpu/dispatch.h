// How an op reaches its ISA copies. Each op file `<op>.cc` writes its kernels once inside
// `namespace neox::NEOX_VEC_NS` (see vec.h); `<op>-avx512.cc` and `<op>-avx2.cc` define
// NEOX_ISA_VARIANT and include `<op>.cc`, so the same source is compiled for each ISA. Only the
// baseline compile of `<op>.cc` emits the public `neox::<kernel>` entry points, which forward to the
// copy for active_isa() through NEOX_DISPATCH.
#pragma once

#include <cstdint>

#include "runtime.h"

// Declares the same functions in neox::isa_scalar, neox::isa_avx2 and neox::isa_avx512 (the
// per-ISA copies) and in neox (the dispatching entry points).
#define NEOX_DECLARE_FOR_ALL_ISAS(...)      \
  __VA_ARGS__                               \
  namespace isa_scalar { __VA_ARGS__ }      \
  namespace isa_avx2 { __VA_ARGS__ }        \
  namespace isa_avx512 { __VA_ARGS__ }

// Without NEOX_HAVE_X86_KERNELS (set by kernels/CMakeLists.txt on x86-64) the ISA files are not
// compiled and active_isa() is always Scalar, so only the scalar copy is referenced.
#if NEOX_HAVE_X86_KERNELS
#define NEOX_DISPATCH(fn, ...)                                            \
  switch (::neox::active_isa()) {                                         \
    case ::neox::Isa::Avx512: return ::neox::isa_avx512::fn(__VA_ARGS__); \
    case ::neox::Isa::Avx2: return ::neox::isa_avx2::fn(__VA_ARGS__);     \
    default: return ::neox::isa_scalar::fn(__VA_ARGS__);                  \
  }
#else
#define NEOX_DISPATCH(fn, ...) return ::neox::isa_scalar::fn(__VA_ARGS__);
#endif

namespace neox {

// Elements per parallel range for streaming element-wise loops: big enough to amortise the pool
// hand-off (a few µs), small enough to split a 64K-element tensor over two threads.
constexpr int64_t kElementGrain = 1 << 14;

// Outputs at least this large are written with non-temporal stores (store_out in vec.h): they do
// not fit in the caches anyway, and streaming them skips the read-for-ownership of each line.
constexpr int64_t kStreamBytes = int64_t{8} << 20;
inline bool streaming(int64_t out_bytes) { return out_bytes >= kStreamBytes; }

// Rows per parallel range for a row-wise op with rows of C elements (about kElementGrain elements).
inline int64_t row_grain(int64_t C) {
  int64_t g = kElementGrain / (C > 0 ? C : 1);
  return g > 0 ? g : 1;
}

// Number of independent partial results a reduction over n items uses: one per thread at most,
// never more than one per `grain` items, at least 1. Partials are combined in index order, so a
// result depends only on n and the thread count, not on scheduling.
inline int64_t reduction_chunks(int64_t n, int64_t grain) {
  int64_t by_size = (n + grain - 1) / grain;
  int64_t t = num_threads();
  int64_t c = by_size < t ? by_size : t;
  return c > 0 ? c : 1;
}

}  // namespace neox
