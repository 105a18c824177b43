// Gated linear units (SwiGLU, GeGLU, ReGLU) in GPT-NeoX's layout: each input row of 2C is [x ‖ gate]
// (Gated_Activation: `x, gate = chunk(2, -1)`, result act(gate) * x). N rows, C output channels.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
// act(gate): SiLU (swiglu), exact GELU (geglu, F.gelu), tanh GELU (geglu with bias_gelu-style
// approximation), ReLU (reglu).
enum class GluKind : int { Swiglu = 0, Geglu = 1, GegluTanh = 2, Reglu = 3 };

NEOX_DECLARE_FOR_ALL_ISAS(
    // out (N, C) = act(inp[:, C:2C]) * inp[:, 0:C]
    void glu_forward(float* out, const float* inp, int64_t N, int64_t C, GluKind kind);
    // dinp (N, 2C): dx = dout * act(gate), dgate = dout * x * act'(gate). dinp must not alias inp.
    void glu_backward(float* dinp, const float* dout, const float* inp, int64_t N, int64_t C, GluKind kind);)
}  // namespace neox
