// Rows of fp32 or bf16 activations for the norm kernels, which keep statistics and parameters in
// fp32 whatever the activation type. A bf16 row is widened once into a per-thread fp32 scratch
// row, so the passes over it read fp32 from L1 instead of converting on every pass. Included after
// vec.h inside namespace neox::NEOX_VEC_NS.
#pragma once

#include <type_traits>
#include <vector>

// The row as fp32: the row itself, or its widened copy in `scratch` (C floats).
inline const float* row_f32(const float* x, float*, int64_t) { return x; }
inline const float* row_f32(const uint16_t* x, float* scratch, int64_t C) {
  for (int64_t c = 0; c < C; c += VecF::W) {
    int k = lanes(c, C);
    VecF::load_bf16(x + c, k).store(scratch + c, k);
  }
  return scratch;
}

// Scratch for one row when T needs widening (empty for fp32).
template <typename T>
std::vector<float> row_scratch(int64_t C) {
  return std::vector<float>(std::is_same<T, float>::value ? 0 : static_cast<size_t>(C));
}

// nt: stream fp32 outputs around the cache (store_out); bf16 outputs are stored normally.
inline void store_row(float* p, VecF v, int k, bool nt) { store_out(p, v, k, nt); }
inline void store_row(uint16_t* p, VecF v, int k, bool) { v.store_bf16(p, k); }
