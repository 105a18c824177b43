// Fills, scaling, copies and casts. Forward only: each is linear, and the tape uses scale_f32 /
// copy_strided_f32 themselves for the backward.
#include "fill.h"

#include <cstring>

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

void fill_f32(float* out, float value, int64_t n) {
  VecF v = VecF::set1(value);
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) store_out(out + i, v, lanes(i, e), nt);
    stream_fence(nt);
  });
}

void scale_f32(float* out, const float* inp, float alpha, int64_t n) {
  VecF a = VecF::set1(alpha);
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      store_out(out + i, VecF::load(inp + i, k) * a, k, nt);
    }
    stream_fence(nt);
  });
}

void axpy_f32(float* out, const float* a, const float* b, float alpha, int64_t n) {
  VecF al = VecF::set1(alpha);
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i += VecF::W) {
      int k = lanes(i, hi);
      store_out(out + i, fma(VecF::load(b + i, k), al, VecF::load(a + i, k)), k, nt);
    }
    stream_fence(nt);
  });
}

void copy_f32(float* out, const float* inp, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    std::memmove(out + b, inp + b, static_cast<size_t>(e - b) * sizeof(float));
  });
}

void copy_strided_f32(float* out, const float* inp, int64_t D0, int64_t D1, int64_t D2, int64_t D3,
                      int64_t s0, int64_t s1, int64_t s2, int64_t s3) {
  int64_t rows = D0 * D1 * D2;
  parallel_for(rows, row_grain(D3), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t i2 = r % D2, i1 = (r / D2) % D1, i0 = r / (D1 * D2);
      const float* src = inp + i0 * s0 + i1 * s1 + i2 * s2;
      float* dst = out + r * D3;
      if (s3 == 1) {
        std::memcpy(dst, src, static_cast<size_t>(D3) * sizeof(float));
      } else {
        for (int64_t i3 = 0; i3 < D3; ++i3) dst[i3] = src[i3 * s3];
      }
    }
  });
}

void cast_f32_to_bf16(uint16_t* out, const float* inp, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      VecF::load(inp + i, k).store_bf16(out + i, k);
    }
  });
}

void cast_bf16_to_f32(float* out, const uint16_t* inp, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      VecF::load_bf16(inp + i, k).store(out + i, k);
    }
  });
}

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
namespace neox {
void fill_f32(float* out, float value, int64_t n) { NEOX_DISPATCH(fill_f32, out, value, n); }
void scale_f32(float* out, const float* inp, float alpha, int64_t n) {
  NEOX_DISPATCH(scale_f32, out, inp, alpha, n);
}
void axpy_f32(float* out, const float* a, const float* b, float alpha, int64_t n) {
  NEOX_DISPATCH(axpy_f32, out, a, b, alpha, n);
}
void copy_f32(float* out, const float* inp, int64_t n) { NEOX_DISPATCH(copy_f32, out, inp, n); }
void copy_strided_f32(float* out, const float* inp, int64_t D0, int64_t D1, int64_t D2, int64_t D3,
                      int64_t s0, int64_t s1, int64_t s2, int64_t s3) {
  NEOX_DISPATCH(copy_strided_f32, out, inp, D0, D1, D2, D3, s0, s1, s2, s3);
}
void cast_f32_to_bf16(uint16_t* out, const float* inp, int64_t n) {
  NEOX_DISPATCH(cast_f32_to_bf16, out, inp, n);
}
void cast_bf16_to_f32(float* out, const uint16_t* inp, int64_t n) {
  NEOX_DISPATCH(cast_bf16_to_f32, out, inp, n);
}
}  // namespace neox
#endif
