// Runtime: parallel_for covers every index once, nests inline, propagates exceptions; counted
// memory is aligned and counted; ISA switching.
#include <atomic>
#include <stdexcept>
#include <vector>

#include "check.h"
#include "cpu/runtime.h"

TEST(parallel_for_covers_each_index_once) {
  for (int threads : {1, 2, 3}) {
    neox::set_num_threads(threads);
    for (int64_t n : {1, 2, 7, 64, 1000}) {
      for (int64_t grain : {1, 3, 64}) {
        std::vector<std::atomic<int>> hits(n);
        neox::parallel_for(n, grain, [&](int64_t b, int64_t e) {
          CHECK(neox::in_parallel_region());
          for (int64_t i = b; i < e; ++i) hits[i]++;
        });
        for (int64_t i = 0; i < n; ++i) CHECK(hits[i] == 1) << "n=" << n << " grain=" << grain << " i=" << i;
      }
    }
  }
}

TEST(parallel_for_nests_inline_and_rethrows) {
  neox::set_num_threads(2);
  std::atomic<int> inner{0};
  neox::parallel_for(4, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) neox::parallel_for(10, 1, [&](int64_t b2, int64_t e2) { inner += int(e2 - b2); });
  });
  CHECK(inner == 40);
  bool threw = false;
  try {
    neox::parallel_for(8, 1, [&](int64_t b, int64_t) {
      if (b > 0) throw std::runtime_error("boom");
    });
  } catch (const std::runtime_error&) {
    threw = true;
  }
  CHECK(threw);
  CHECK(!neox::in_parallel_region());
}

TEST(counted_memory) {
  auto before = neox::alloc_stats();
  void* p = neox::aligned_alloc_counted(100);
  CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  CHECK(neox::allocation_size(p) == 100);
  auto mid = neox::alloc_stats();
  CHECK(mid.live_bytes - before.live_bytes == 100);
  CHECK(mid.calls - before.calls == 1);
  neox::free_counted(p);
  CHECK(neox::alloc_stats().live_bytes == before.live_bytes);
  neox::free_counted(nullptr);
}

TEST(isa_switching) {
  auto list = neox::supported_isas();
  CHECK(!list.empty() && list.back() == neox::Isa::Scalar);
  for (auto isa : list) {
    neox::set_isa(isa);
    CHECK(neox::active_isa() == isa);
  }
  neox::set_isa(list.front());
}
