// The GPU caching allocator's bookkeeping (kernels/gpu/caching-allocator.cc), run over host memory:
// rounding and size classes, segment reuse, splitting and merging, per-stream pools, empty_cache,
// the counters, and the release-and-retry path when the raw allocator runs out.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "gpu/caching-allocator.h"

namespace {

using neox::gpu::CachingAllocator;
using neox::gpu::kLargeBuffer;
using neox::gpu::kSmallBuffer;

constexpr size_t MiB = 1 << 20;

// Host memory with a capacity, standing in for cudaMalloc/cudaFree: returns nullptr past the
// capacity and checks that every release matches an outstanding allocation.
class HostRaw : public neox::gpu::RawAllocator {
 public:
  explicit HostRaw(size_t capacity = SIZE_MAX) : capacity_(capacity) {}
  ~HostRaw() override { CHECK(outstanding_.empty()) << outstanding_.size() << " raw segments never released"; }
  void* allocate(size_t bytes) override {
    if (bytes > capacity_ - used_) return nullptr;
    void* p = std::malloc(bytes);
    used_ += bytes;
    outstanding_.insert({p, bytes});
    sizes.push_back(bytes);
    return p;
  }
  void release(void* p) override {
    auto it = outstanding_.find({p, 0});
    CHECK(it != outstanding_.end()) << "release of a pointer the raw allocator never returned";
    if (it == outstanding_.end()) return;
    used_ -= it->second;
    outstanding_.erase(it);
    std::free(p);
  }
  size_t used() const { return used_; }
  std::vector<size_t> sizes;  // every segment size requested, in order

 private:
  struct ByPtr {
    bool operator()(const std::pair<void*, size_t>& a, const std::pair<void*, size_t>& b) const {
      return a.first < b.first;
    }
  };
  size_t capacity_;
  size_t used_ = 0;
  std::set<std::pair<void*, size_t>, ByPtr> outstanding_;
};

}  // namespace

TEST(caching_allocator_rounds_to_512_and_picks_segment_sizes) {
  CHECK(neox::gpu::round_size(0) == 512);
  CHECK(neox::gpu::round_size(1) == 512);
  CHECK(neox::gpu::round_size(512) == 512);
  CHECK(neox::gpu::round_size(513) == 1024);
  CHECK(neox::gpu::segment_size(512) == 2 * MiB);
  CHECK(neox::gpu::segment_size(MiB) == 2 * MiB);
  CHECK(neox::gpu::segment_size(MiB + 512) == 20 * MiB);
  CHECK(neox::gpu::segment_size(10 * MiB - 512) == 20 * MiB);
  CHECK(neox::gpu::segment_size(10 * MiB) == 10 * MiB);
  CHECK(neox::gpu::segment_size(11 * MiB) == 12 * MiB);
}

TEST(caching_allocator_carves_small_blocks_from_one_segment) {
  HostRaw raw;
  {
    CachingAllocator cache(&raw);
    std::vector<unsigned char*> blocks;
    for (int i = 0; i < 100; ++i) blocks.push_back(static_cast<unsigned char*>(cache.allocate(1000)));
    auto s = cache.stats();
    CHECK(s.raw_allocs == 1) << s.raw_allocs;
    CHECK(raw.sizes.size() == 1 && raw.sizes[0] == kSmallBuffer);
    CHECK(s.requests == 100);
    CHECK(s.total_bytes == 100 * 1024) << s.total_bytes;
    CHECK(s.allocated_bytes == 100 * 1024) << s.allocated_bytes;
    CHECK(s.reserved_bytes == kSmallBuffer);
    CHECK(s.live_blocks == 100);
    // Each block is writable over its rounded size without touching another one.
    for (int i = 0; i < 100; ++i) std::memset(blocks[i], i, 1024);
    for (int i = 0; i < 100; ++i)
      for (int k = 0; k < 1024; k += 97) CHECK(blocks[i][k] == i) << "block " << i << " byte " << k;
    for (auto* b : blocks) cache.free(b);
    s = cache.stats();
    CHECK(s.allocated_bytes == 0 && s.live_blocks == 0);
    CHECK(s.reserved_bytes == kSmallBuffer) << "freed blocks stay cached";
    CHECK(s.peak_allocated_bytes == 100 * 1024);
  }
  CHECK(raw.used() == 0) << "the destructor releases cached segments";
}

TEST(caching_allocator_reuses_freed_blocks_without_raw_calls) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  void* a = cache.allocate(4096);
  cache.free(a);
  void* b = cache.allocate(4096);
  CHECK(b == a) << "the freed block is the best fit";
  void* c = cache.allocate(3 * MiB);
  cache.free(c);
  void* d = cache.allocate(3 * MiB);
  CHECK(d == c);
  CHECK(cache.stats().raw_allocs == 2) << cache.stats().raw_allocs;
  CHECK(cache.stats().requests == 4);
  CHECK(cache.stats().total_bytes == 2 * 4096 + 2 * 3 * MiB) << "counts reuse too";
  cache.free(b);
  cache.free(d);
}

TEST(caching_allocator_merges_neighbours_so_empty_cache_releases_whole_segments) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  void* a = cache.allocate(1000);
  void* b = cache.allocate(1000);
  void* c = cache.allocate(1000);
  CHECK(static_cast<char*>(b) == static_cast<char*>(a) + 1024) << "consecutive blocks come from one split";
  CHECK(cache.stats().cached_blocks == 1) << "the segment's tail is cached";
  cache.free(a);
  cache.free(c);  // merges with the tail
  CHECK(cache.stats().cached_blocks == 2) << cache.stats().cached_blocks;
  cache.empty_cache();
  CHECK(cache.stats().raw_frees == 0) << "a segment with a live block is kept";
  cache.free(b);  // merges with both neighbours: the segment is whole again
  CHECK(cache.stats().cached_blocks == 1) << cache.stats().cached_blocks;
  cache.empty_cache();
  auto s = cache.stats();
  CHECK(s.raw_frees == 1 && s.reserved_bytes == 0 && s.cached_blocks == 0);
  CHECK(raw.used() == 0);
}

TEST(caching_allocator_splits_large_segments_only_above_1mib) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  void* a = cache.allocate(5 * MiB);
  void* b = cache.allocate(5 * MiB);  // from the 15 MiB left of the first 20 MiB segment
  CHECK(cache.stats().raw_allocs == 1);
  CHECK(raw.sizes[0] == kLargeBuffer);
  CHECK(static_cast<char*>(b) == static_cast<char*>(a) + 5 * MiB);
  // 19.5 MiB in a fresh 20 MiB segment leaves 0.5 MiB: not split, the block keeps it.
  void* c = cache.allocate(19 * MiB + MiB / 2);
  CHECK(cache.block_size(c) == 20 * MiB) << cache.block_size(c);
  CHECK(cache.stats().allocated_bytes == 30 * MiB) << cache.stats().allocated_bytes;
  cache.free(a);
  cache.free(b);
  cache.free(c);
  cache.empty_cache();
  CHECK(cache.stats().reserved_bytes == 0);
}

TEST(caching_allocator_prefers_the_smallest_block_that_fits) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  // Three free blocks of 2, 8 and 4 KiB separated by live ones so they cannot merge.
  void* k2 = cache.allocate(2048);
  void* s1 = cache.allocate(512);
  void* k8 = cache.allocate(8192);
  void* s2 = cache.allocate(512);
  void* k4 = cache.allocate(4096);
  void* s3 = cache.allocate(512);
  cache.free(k2);
  cache.free(k8);
  cache.free(k4);
  CHECK(cache.allocate(3000) == k4) << "best fit is the 4 KiB block";
  CHECK(cache.allocate(2048) == k2);
  void* e = cache.allocate(5000);
  CHECK(e == k8) << "the 8 KiB block is split for 5000 bytes";
  CHECK(cache.block_size(e) == 5120);
  CHECK(cache.stats().raw_allocs == 1);
  for (void* p : {k4, k2, e, s1, s2, s3}) cache.free(p);
  CHECK(cache.stats().cached_blocks == 1);
}

TEST(caching_allocator_keeps_blocks_to_their_stream) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  void* a = cache.allocate(4096, /*stream=*/1);
  cache.free(a);
  void* b = cache.allocate(4096, /*stream=*/2);
  CHECK(b != a) << "a block freed on stream 1 is not handed to stream 2";
  CHECK(cache.stats().raw_allocs == 2);
  void* c = cache.allocate(4096, /*stream=*/1);
  CHECK(c == a);
  cache.free(b);
  cache.free(c);
}

TEST(caching_allocator_releases_the_cache_and_retries_when_memory_runs_out) {
  HostRaw raw(/*capacity=*/40 * MiB);
  CachingAllocator cache(&raw);
  void* a = cache.allocate(12 * MiB);  // a 12 MiB segment
  void* b = cache.allocate(20 * MiB);  // a 20 MiB segment
  cache.free(a);                       // 12 MiB cached, 32 MiB reserved
  // 16 MiB does not fit the cached 12 MiB block and 32 + 16 MiB is past the capacity: the cached
  // segment is released and the request retried.
  void* c = cache.allocate(16 * MiB);
  auto s = cache.stats();
  CHECK(s.retries == 1) << s.retries;
  CHECK(s.raw_frees == 1);
  CHECK(s.reserved_bytes == 36 * MiB) << s.reserved_bytes;
  CHECK(s.peak_reserved_bytes == 36 * MiB) << s.peak_reserved_bytes;
  CHECK(raw.used() == 36 * MiB);
  std::string message;
  try {
    cache.allocate(30 * MiB);
  } catch (const neox::gpu::OutOfMemory& e) {
    message = e.what();
  }
  CHECK(message.find("requested 31457280 bytes") != std::string::npos) << message;
  CHECK(message.find("reserved 37748736") != std::string::npos) << message;
  cache.free(b);
  cache.free(c);
}

TEST(caching_allocator_rejects_unknown_and_double_frees) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  void* a = cache.allocate(100);
  cache.free(a);
  bool threw = false;
  try {
    cache.free(a);
  } catch (const std::invalid_argument& e) {
    threw = std::string(e.what()).find("not a live block") != std::string::npos;
  }
  CHECK(threw);
  int local = 0;
  threw = false;
  try {
    cache.free(&local);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  CHECK(cache.stats().allocated_bytes == 0);
  cache.free(nullptr);  // a no-op, as cudaFree(nullptr) is
}

TEST(caching_allocator_reset_peaks_starts_a_new_high_water_mark) {
  HostRaw raw;
  CachingAllocator cache(&raw);
  void* a = cache.allocate(MiB);
  cache.free(a);
  CHECK(cache.stats().peak_allocated_bytes == MiB);
  cache.reset_peaks();
  void* b = cache.allocate(1024);
  CHECK(cache.stats().peak_allocated_bytes == 1024) << cache.stats().peak_allocated_bytes;
  cache.free(b);
}
