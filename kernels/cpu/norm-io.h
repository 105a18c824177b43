// Loads and stores of fp32 or bf16 rows for the norm kernels, which keep statistics and
// parameters in fp32 whatever the activation type. Included after vec.h inside
// namespace neox::NEOX_VEC_NS.
#pragma once

inline VecF load_row(const float* p, int k) { return VecF::load(p, k); }
inline VecF load_row(const uint16_t* p, int k) { return VecF::load_bf16(p, k); }
inline void store_row(float* p, VecF v, int k) { v.store(p, k); }
inline void store_row(uint16_t* p, VecF v, int k) { v.store_bf16(p, k); }
