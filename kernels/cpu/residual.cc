// Residual add forward and backward (the backward hands dout to both branches).
#include "residual.h"

#include <cstring>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

void residual_forward(float* out, const float* a, const float* b, int64_t n) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i += VecF::W) {
      int k = lanes(i, hi);
      store_out(out + i, VecF::load(a + i, k) + VecF::load(b + i, k), k, nt);
    }
    stream_fence(nt);
  });
}

void residual_backward(float* da, float* db, const float* dout, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t lo, int64_t hi) {
    size_t bytes = static_cast<size_t>(hi - lo) * sizeof(float);
    if (da != nullptr && da != dout) std::memcpy(da + lo, dout + lo, bytes);
    if (db != nullptr && db != dout) std::memcpy(db + lo, dout + lo, bytes);
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void residual_forward(float* out, const float* a, const float* b, int64_t n) {
  NEOX_DISPATCH(residual_forward, out, a, b, n);
}
void residual_backward(float* da, float* db, const float* dout, int64_t n) {
  NEOX_DISPATCH(residual_backward, da, db, dout, n);
}
}  // namespace neox
#endif
