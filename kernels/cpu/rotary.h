// Rotary position embedding (RoPE), GPT-NeoX/HF "rotate half" convention on the first rot_dim
// channels of every head (megatron/model/positional_embeddings.py): with x1 = x[:rot/2],
// x2 = x[rot/2:rot], out = x·cos + rotate_half(x)·sin, rotate_half(x) = cat(-x2, x1); channels
// past rot_dim pass through. rot_dim = int(HS · rotary_pct), even.
// B batch, T time, NH heads, HS head size. Tensors are (B, T, NH, HS) with strides (sb, st, sh) in
// elements and a contiguous head dimension, so q and k of a fused QKV buffer are views.
#pragma once

#include <cstdint>

namespace neox {

// cos/sin tables (n_pos, rot_dim/2) for positions 0..n_pos-1. As in GPT-NeoX the angle is built
// in fp32: inv_freq = 1 / base^(2i/rot_dim) and t·inv_freq rounded to fp32, then cos/sin of it.
void rotary_table(float* cos, float* sin, int64_t n_pos, int64_t rot_dim, double base);

struct RotaryDims {
  int64_t B, T, NH, HS, rot_dim;
  int64_t x_sb, x_st, x_sh;    // inp (forward) / dinp (backward)
  int64_t y_sb, y_st, y_sh;    // out (forward) / dout (backward)
  int64_t pos_offset;          // position of t = 0 (KV-cache decoding); table rows >= pos_offset + T
};

// Throws std::invalid_argument naming the bad size.
void rotary_check_dims(const RotaryDims& d);

// out may alias inp (in place) when both have the same strides.
void rotary_forward(float* out, const float* inp, const float* cos, const float* sin, const RotaryDims& d);
// The transpose rotation: dinp = dout·cos + rotate_half_transposed(dout)·sin; may alias dout.
void rotary_backward(float* dinp, const float* dout, const float* cos, const float* sin, const RotaryDims& d);

}  // namespace neox
