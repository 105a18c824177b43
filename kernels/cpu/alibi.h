// ALiBi (Press et al. 2022) as GPT-NeoX computes it (megatron/model/positional_embeddings.py,
// AliBi._get_slopes / forward). The fused attention kernel adds the bias itself from the slopes;
// alibi_bias materialises it for unfused paths and tests.
#pragma once

#include <cstdint>

namespace neox {

// slopes[h] for NH heads: for a power of two n, start = 2^(-2^-(log2 n - 3)) and slope_h =
// start^(h+1); otherwise the slopes of the closest lower power of two p followed by every other
// slope of 2p, first n - p of them. Computed in double and rounded to fp32 (torch.Tensor(list)).
void alibi_slopes(float* slopes, int64_t NH);

// out (NH, Tq, Tk): -(i - j)·slope_h for key j <= query position i = (Tk - Tq) + row, 0 above the
// diagonal (GPT-NeoX: -tril(i - j)·slope; the causal mask hides those entries anyway).
void alibi_bias(float* out, const float* slopes, int64_t NH, int64_t Tq, int64_t Tk);

}  // namespace neox
