// ALiBi slopes and bias; see alibi.h.
#include "alibi.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime.h"

namespace neox {

namespace {

std::vector<double> slopes_of(int64_t n) {
  const double lg = std::log2(static_cast<double>(n));
  std::vector<double> out;
  if (std::floor(lg) == lg) {
    const double start = std::pow(2.0, -std::pow(2.0, -(lg - 3.0)));
    for (int64_t i = 0; i < n; ++i) out.push_back(start * std::pow(start, static_cast<double>(i)));  // start·ratio^i
    return out;
  }
  const int64_t p = int64_t{1} << static_cast<int>(std::floor(lg));
  out = slopes_of(p);
  const std::vector<double> twice = slopes_of(2 * p);
  for (int64_t i = 0; i < n - p; ++i) out.push_back(twice[2 * i]);
  return out;
}

}  // namespace

void alibi_slopes(float* slopes, int64_t NH) {
  if (NH < 1) throw std::invalid_argument("alibi_slopes: NH must be >= 1, got " + std::to_string(NH));
  const std::vector<double> s = slopes_of(NH);
  for (int64_t h = 0; h < NH; ++h) slopes[h] = static_cast<float>(s[h]);
}

void alibi_bias(float* out, const float* slopes, int64_t NH, int64_t Tq, int64_t Tk) {
  if (NH < 1 || Tq < 1 || Tk < Tq) {
    throw std::invalid_argument("alibi_bias: need NH >= 1, Tq >= 1, Tk >= Tq; got NH=" + std::to_string(NH) +
                                " Tq=" + std::to_string(Tq) + " Tk=" + std::to_string(Tk));
  }
  const int64_t off = Tk - Tq;
  parallel_for(NH * Tq, 16, [&](int64_t begin, int64_t end) {
    for (int64_t hi = begin; hi < end; ++hi) {
      const int64_t h = hi / Tq, i = hi % Tq + off;
      float* row = out + hi * Tk;
      for (int64_t j = 0; j < Tk; ++j) row[j] = j <= i ? -static_cast<float>(i - j) * slopes[h] : 0.0f;
    }
  });
}

}  // namespace neox
