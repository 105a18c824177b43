// Runs every TEST; exit status 1 when any CHECK failed.
#include <cstdio>
#include <exception>

#include "check.h"

int main() {
  int failed_cases = 0;
  for (const auto& c : neox::test::cases()) {
    int before = neox::test::failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: threw %s\n", c.name, e.what());
      ++neox::test::failures();
    }
    bool ok = neox::test::failures() == before;
    failed_cases += !ok;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", c.name);
  }
  std::printf("%zu cases, %d failed\n", neox::test::cases().size(), failed_cases);
  return failed_cases ? 1 : 0;
}
