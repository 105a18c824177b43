// Argument helpers for the element-wise, norm, loss and optimizer glue files (ops-elementwise.cc,
// ops-norm.cc, ops-loss.cc, ops-optimizer.cc): required (non-null) addresses and arrays of
// addresses or sizes passed as JS arrays.
#pragma once

#include <string>
#include <vector>

#include "registry.h"

namespace neox::napi {

// An address that must not be null; `what` names the argument in the error.
template <class T>
T* required(const Args& a, size_t i, const char* what) {
  T* p = a.ptr<T>(i);
  if (p == nullptr) a.fail(i, std::string("(") + what + ") is the null address; expected a buffer");
  return p;
}

// A JS array of non-negative integers (addresses or sizes), of length `expected` when >= 0.
inline std::vector<double> number_array(const Args& a, size_t i, const char* what, int64_t expected = -1) {
  bool is_array = false;
  if (i >= a.argc || napi_is_array(a.env, a.argv[i], &is_array) != napi_ok || !is_array)
    a.fail(i, std::string("(") + what + ") must be an array of numbers");
  uint32_t len = 0;
  napi_get_array_length(a.env, a.argv[i], &len);
  if (expected >= 0 && static_cast<int64_t>(len) != expected)
    a.fail(i, std::string("(") + what + ") has " + std::to_string(len) + " entries, expected " +
                  std::to_string(expected));
  std::vector<double> out(len);
  for (uint32_t k = 0; k < len; ++k) {
    napi_value el;
    double v = 0;
    if (napi_get_element(a.env, a.argv[i], k, &el) != napi_ok || napi_get_value_double(a.env, el, &v) != napi_ok)
      a.fail(i, std::string("(") + what + ") entry " + std::to_string(k) + " is not a number");
    out[k] = v;
  }
  return out;
}

}  // namespace neox::napi
