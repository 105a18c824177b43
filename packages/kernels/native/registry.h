// Registration and argument helpers shared by every Node-API glue file (ops-*.cc).
//
// A glue file defines napi_callback functions and registers each under its JavaScript name:
//
//   static napi_value layernormForward(napi_env env, napi_callback_info info) {
//     return neox::napi::call(env, info, "layernormForward", 9, [&](const neox::napi::Args& a) {
//       neox::layernorm_forward(a.ptr<float>(0), a.ptr<float>(1), a.ptr<float>(2), a.ptr<const float>(3),
//                               a.ptr<const float>(4), a.ptr<const float>(5), a.i64(6), a.i64(7), a.f32(8));
//     });
//   }
//   NEOX_REGISTER("layernormForward", layernormForward);
//
// module.cc exports every registered function; ops() lists the NEOX_REGISTER names, and
// test/coverage.native.test.ts requires a parity case for each. Runtime functions that are not
// numeric ops (alloc, isa, ...) use NEOX_REGISTER_RUNTIME and stay out of ops().
//
// Addresses cross the boundary as JS numbers holding the pointer value (exact below 2^53).
// Helpers throw neox::napi::ArgError; call() turns any C++ exception into a JS Error whose message
// starts with the function name.
#pragma once

#define NAPI_VERSION 8
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace neox::napi {

struct Entry {
  const char* name;
  napi_callback fn;
  bool is_op;  // listed by ops() and checked by the coverage test
};

inline std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

struct Registrar {
  Registrar(const char* name, napi_callback fn, bool is_op) { registry().push_back(Entry{name, fn, is_op}); }
};

struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr size_t kMaxArgs = 32;

// The arguments of one call, with typed accessors that name the function and position on error.
struct Args {
  napi_env env;
  const char* name;
  size_t argc;
  napi_value argv[kMaxArgs];

  [[noreturn]] void fail(size_t i, const std::string& what) const {
    throw ArgError(std::string(name) + ": argument " + std::to_string(i) + " " + what);
  }

  double number(size_t i) const {
    double v;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail(i, "must be a number");
    return v;
  }
  double f64(size_t i) const { return number(i); }
  float f32(size_t i) const { return static_cast<float>(number(i)); }
  int64_t i64(size_t i) const {
    double v = number(i);
    if (!(std::floor(v) == v) || std::fabs(v) > 9007199254740992.0)
      fail(i, "must be an integer, got " + std::to_string(v));
    return static_cast<int64_t>(v);
  }
  // A non-negative size or count.
  int64_t size(size_t i) const {
    int64_t v = i64(i);
    if (v < 0) fail(i, "must be >= 0, got " + std::to_string(v));
    return v;
  }
  bool boolean(size_t i) const {
    bool v;
    if (i >= argc || napi_get_value_bool(env, argv[i], &v) != napi_ok) fail(i, "must be a boolean");
    return v;
  }
  // A transpose flag or switch: a boolean, or the number 0 or 1.
  bool flag(size_t i) const {
    napi_valuetype t;
    if (i < argc && napi_typeof(env, argv[i], &t) == napi_ok && t == napi_number) {
      double v = number(i);
      if (v != 0 && v != 1) fail(i, "must be a boolean (or 0/1), got " + std::to_string(v));
      return v == 1;
    }
    return boolean(i);
  }
  // An address from alloc() (0 allowed only where the kernel accepts null).
  template <class T>
  T* ptr(size_t i) const {
    double v = number(i);
    if (!(v >= 0) || std::floor(v) != v || v > 9007199254740992.0) fail(i, "must be an address (a non-negative integer)");
    return reinterpret_cast<T*>(static_cast<uintptr_t>(v));
  }
  std::string str(size_t i) const {
    size_t len = 0;
    if (i >= argc || napi_get_value_string_utf8(env, argv[i], nullptr, 0, &len) != napi_ok) fail(i, "must be a string");
    std::string s(len, '\0');
    napi_get_value_string_utf8(env, argv[i], s.data(), len + 1, &len);
    return s;
  }
};

// Free-function spellings of the accessors.
template <class T>
inline T* arg_ptr(napi_env, const Args& a, size_t i) { return a.ptr<T>(i); }
inline int64_t arg_i64(napi_env, const Args& a, size_t i) { return a.i64(i); }
inline double arg_f64(napi_env, const Args& a, size_t i) { return a.f64(i); }
inline bool arg_bool(napi_env, const Args& a, size_t i) { return a.boolean(i); }

inline napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}
inline napi_value number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}
inline napi_value string(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.data(), s.size(), &v);
  return v;
}
inline napi_value address(napi_env env, const void* p) {
  return number(env, static_cast<double>(reinterpret_cast<uintptr_t>(p)));
}

// Unpacks the arguments (at least `min_args`), runs body(args) and converts exceptions into JS
// errors. body may return void (the call returns undefined) or a napi_value.
template <class F>
napi_value call(napi_env env, napi_callback_info info, const char* name, size_t min_args, F&& body) {
  Args a;
  a.env = env;
  a.name = name;
  a.argc = kMaxArgs;
  if (napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr) != napi_ok) {
    napi_throw_error(env, nullptr, (std::string(name) + ": could not read the arguments").c_str());
    return nullptr;
  }
  if (a.argc > kMaxArgs) a.argc = kMaxArgs;
  try {
    if (a.argc < min_args)
      throw ArgError(std::string(name) + ": expected " + std::to_string(min_args) + " arguments, got " +
                     std::to_string(a.argc));
    if constexpr (std::is_void_v<decltype(body(a))>) {
      body(a);
      return undefined(env);
    } else {
      return body(a);
    }
  } catch (const ArgError& e) {
    napi_throw_type_error(env, nullptr, e.what());
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (msg.rfind(name, 0) != 0) msg = std::string(name) + ": " + msg;
    napi_throw_error(env, nullptr, msg.c_str());
  } catch (...) {
    napi_throw_error(env, nullptr, (std::string(name) + ": unknown native error").c_str());
  }
  return nullptr;
}

}  // namespace neox::napi

#define NEOX_REGISTER_CONCAT_(a, b) a##b
#define NEOX_REGISTER_CONCAT(a, b) NEOX_REGISTER_CONCAT_(a, b)
// Registers a numeric op (listed by ops(), must have a parity case).
#define NEOX_REGISTER(js_name, fn) \
  static ::neox::napi::Registrar NEOX_REGISTER_CONCAT(neox_registrar_, __LINE__)(js_name, fn, true)
// Registers a runtime function that is not a numeric op (not listed by ops()).
#define NEOX_REGISTER_RUNTIME(js_name, fn) \
  static ::neox::napi::Registrar NEOX_REGISTER_CONCAT(neox_registrar_, __LINE__)(js_name, fn, false)
