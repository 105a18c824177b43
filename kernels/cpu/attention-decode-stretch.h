// One stretch of a decode step's attention (attention-decode-step.cc): every query head of one
// row over a run of consecutive cached positions of its slot, leaving the softmax unnormalised so
// that stretches of the same row merge exactly afterwards (flash-decoding):
//   m_h = max_j s_hj,  l_h = Σ_j exp(s_hj − m_h),  o_h = Σ_j exp(s_hj − m_h)·V[j, g(h)]
// with s_hj = scale·q_h·K[j, g(h)] + slope_h·(bias0 + j) and g(h) = h / G. Merging stretches t:
// M = max_t m_t, out_h = Σ_t e^(m_t − M)·o_t / Σ_t e^(m_t − M)·l_t.
//
// Two versions: a generic one over the active ISA's inner loops (any HS), and an AVX-512 one for
// HS a multiple of 16 (attention-decode-avx512.cc) that reads each position's whole K and V row
// in one sequential pass and walks several far-apart runs of positions at once.
#pragma once

#include <cstdint>

#include "attention-isa.h"

namespace neox::decode {

struct Stretch {
  const float* q;   // (NH, qrow) the row's rotated queries
  // K row of the stretch's first position, position j at k + j·kv_row (elements), and likewise
  // V: floats, or bf16 bits when bf16 (a bf16 KV cache, widened to fp32 as it is read).
  const void* k;
  const void* v;
  bool bf16;
  int n;            // positions, >= 1
  int64_t kv_row;   // floats per cached position (NKV·HS)
  int64_t qrow;     // floats per query in q
  int64_t NH, G, HS;
  float scale;
  const float* slopes;  // NH ALiBi slopes or nullptr
  float bias0;          // key j's ALiBi distance is bias0 + j (its position minus the query's)
  float* s;             // scratch scores, NH rows of srow >= n floats
  int64_t srow;
  float* m;  // out: NH maxima
  float* l;  // out: NH sums
  float* o;  // out: (NH, HS) unnormalised outputs
};

// Generic: blocks of positions through ops.dot_rows, ops.gemm (HS % 16 == 0) or scalar loops.
void stretch_generic(const Stretch& a, const attn::IsaOps& ops);

// AVX-512, HS % 16 == 0; ops supplies the softmax loops (the AVX-512 table).
void stretch_avx512(const Stretch& a, const attn::IsaOps& ops);

}  // namespace neox::decode
