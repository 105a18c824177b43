// A tiny test harness for the C++ kernel tests: TEST(name) { ... CHECK(cond) << ...; }.
// Build and run: cmake -S kernels -B /tmp/neox-kernels && cmake --build /tmp/neox-kernels &&
// /tmp/neox-kernels/neox_kernel_tests
#pragma once

#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace neox::test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
inline std::vector<Case>& cases() {
  static std::vector<Case> c;
  return c;
}
inline int& failures() {
  static int f = 0;
  return f;
}
struct Add {
  Add(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};
// Reports on destruction so `CHECK(x) << "detail"` reads naturally.
struct Failure {
  std::ostringstream msg;
  Failure(const char* file, int line, const char* expr) { msg << file << ":" << line << ": CHECK(" << expr << ") failed "; }
  ~Failure() {
    std::fprintf(stderr, "%s\n", msg.str().c_str());
    ++failures();
  }
  template <class T>
  Failure& operator<<(const T& v) {
    msg << v;
    return *this;
  }
};

}  // namespace neox::test

#define NEOX_TEST_CAT_(a, b) a##b
#define NEOX_TEST_CAT(a, b) NEOX_TEST_CAT_(a, b)
#define TEST(name)                                                         \
  static void NEOX_TEST_CAT(test_, name)();                                \
  static ::neox::test::Add NEOX_TEST_CAT(add_, name)(#name, NEOX_TEST_CAT(test_, name)); \
  static void NEOX_TEST_CAT(test_, name)()
#define CHECK(cond) \
  if (cond) {       \
  } else            \
    ::neox::test::Failure(__FILE__, __LINE__, #cond)
