// Rotary embedding forward/backward; see rotary.h for the convention. Memory bound, so one
// portable loop serves every ISA (the compiler vectorises the channel loop).
#include "rotary.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "runtime.h"

namespace neox {

void rotary_table(float* cos, float* sin, int64_t n_pos, int64_t rot_dim, double base) {
  if (rot_dim < 2 || rot_dim % 2 != 0) {
    throw std::invalid_argument("rotary_table: rot_dim must be even and >= 2, got " + std::to_string(rot_dim));
  }
  if (!(base > 0.0) || !std::isfinite(base)) throw std::invalid_argument("rotary_table: base must be > 0");
  const int64_t half = rot_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    // torch: 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), each step rounded to fp32;
    // the power is taken in double and rounded once so the TypeScript twin reproduces it exactly.
    const float ex = static_cast<float>(2 * i) / static_cast<float>(rot_dim);
    const float pw = static_cast<float>(std::pow(static_cast<double>(static_cast<float>(base)), static_cast<double>(ex)));
    const float inv_freq = 1.0f / pw;
    for (int64_t t = 0; t < n_pos; ++t) {
      const float angle = static_cast<float>(t) * inv_freq;
      cos[t * half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sin[t * half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
}

void rotary_check_dims(const RotaryDims& d) {
  if (d.B < 1 || d.T < 1 || d.NH < 1 || d.HS < 1) {
    throw std::invalid_argument("rotary: sizes B, T, NH, HS must be >= 1, got B=" + std::to_string(d.B) +
                                " T=" + std::to_string(d.T) + " NH=" + std::to_string(d.NH) +
                                " HS=" + std::to_string(d.HS));
  }
  if (d.rot_dim < 2 || d.rot_dim % 2 != 0 || d.rot_dim > d.HS) {
    throw std::invalid_argument("rotary: rot_dim must be even, >= 2 and <= HS (" + std::to_string(d.HS) +
                                "), got " + std::to_string(d.rot_dim));
  }
  if (d.pos_offset < 0) throw std::invalid_argument("rotary: pos_offset must be >= 0");
}

namespace {

// fwd: the rotation by +angle; otherwise its transpose, the rotation by -angle (the backward).
void rotate(float* y, const float* x, const float* cos, const float* sin, const RotaryDims& d, bool fwd,
            int64_t x_sb, int64_t x_st, int64_t x_sh, int64_t y_sb, int64_t y_st, int64_t y_sh) {
  rotary_check_dims(d);
  const int64_t half = d.rot_dim / 2;
  const float sgn = fwd ? 1.0f : -1.0f;
  parallel_for(d.B * d.T, 8, [&](int64_t begin, int64_t end) {
    for (int64_t bt = begin; bt < end; ++bt) {
      const int64_t b = bt / d.T, t = bt % d.T;
      const float* c = cos + (t + d.pos_offset) * half;
      const float* s = sin + (t + d.pos_offset) * half;
      for (int64_t h = 0; h < d.NH; ++h) {
        const float* xi = x + b * x_sb + t * x_st + h * x_sh;
        float* yo = y + b * y_sb + t * y_st + h * y_sh;
        for (int64_t e = 0; e < half; ++e) {
          const float x1 = xi[e], x2 = xi[e + half], se = sgn * s[e];
          yo[e] = x1 * c[e] - x2 * se;
          yo[e + half] = x2 * c[e] + x1 * se;
        }
        if (yo != xi) {
          for (int64_t e = d.rot_dim; e < d.HS; ++e) yo[e] = xi[e];
        }
      }
    }
  });
}

}  // namespace

void rotary_forward(float* out, const float* inp, const float* cos, const float* sin, const RotaryDims& d) {
  rotate(out, inp, cos, sin, d, true, d.x_sb, d.x_st, d.x_sh, d.y_sb, d.y_st, d.y_sh);
}

void rotary_backward(float* dinp, const float* dout, const float* cos, const float* sin, const RotaryDims& d) {
  rotate(dinp, dout, cos, sin, d, false, d.y_sb, d.y_st, d.y_sh, d.x_sb, d.x_st, d.x_sh);
}

}  // namespace neox
