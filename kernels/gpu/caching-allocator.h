// A caching allocator for device memory, after PyTorch's CUDACachingAllocator: requests are
// rounded to 512 B, served from cached blocks of a small pool (requests up to 1 MiB, carved from
// 2 MiB segments) or a large pool (20 MiB segments below 10 MiB, else the size rounded to 2 MiB);
// blocks are split on allocation and merged with free neighbours on release, and freed memory
// stays cached until empty_cache(). The bookkeeping is plain C++ over a RawAllocator (cudaMalloc /
// cudaFree in the GPU library, host memory in kernels/tests/caching-allocator-test.cc), so the
// same code is tested on machines without a GPU.
//
// Blocks belong to the stream they were allocated on and are only reused for that stream, as in
// PyTorch: work queued on one stream may still read a block another stream would overwrite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace neox::gpu {

// Size classes (PyTorch c10/cuda/CUDACachingAllocator.cpp: kMinBlockSize, kSmallSize,
// kSmallBuffer, kMinLargeAlloc, kLargeBuffer, kRoundLarge).
constexpr size_t kMinBlockSize = 512;             // every block is a multiple of this
constexpr size_t kSmallSize = 1 << 20;            // requests up to 1 MiB use the small pool
constexpr size_t kSmallBuffer = 2 << 20;          // small-pool segment size
constexpr size_t kMinLargeAlloc = 10 << 20;       // below this, large segments are kLargeBuffer
constexpr size_t kLargeBuffer = 20 << 20;         // large-pool segment size for mid-size requests
constexpr size_t kRoundLarge = 2 << 20;           // bigger segments round up to this

// The memory under the cache. allocate returns nullptr when the memory is exhausted (the cache
// then releases its unused segments and retries); release frees what allocate returned.
class RawAllocator {
 public:
  virtual ~RawAllocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* ptr) = 0;
};

// Thrown when a request fails even after the cache released its unused segments.
struct OutOfMemory : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CacheStats {
  uint64_t allocated_bytes;       // bytes in blocks handed out now (rounded sizes)
  uint64_t reserved_bytes;        // bytes in segments obtained from the raw allocator
  uint64_t peak_allocated_bytes;  // high-water mark of allocated_bytes
  uint64_t peak_reserved_bytes;   // high-water mark of reserved_bytes
  uint64_t requests;              // allocate() calls that returned a block
  uint64_t total_bytes;           // bytes of every block handed out (rounded), over the lifetime
  uint64_t raw_allocs;            // segments obtained (cudaMalloc calls that succeeded)
  uint64_t raw_frees;             // segments returned (cudaFree calls)
  uint64_t retries;               // requests that had to release the cache and retry
  uint64_t live_blocks;           // blocks handed out and not freed
  uint64_t cached_blocks;         // free blocks held in the pools
};

// The block size a request of `bytes` gets: at least 512, a multiple of 512.
size_t round_size(size_t bytes);
// The segment size requested from the raw allocator for a block of `rounded` bytes.
size_t segment_size(size_t rounded);

class CachingAllocator {
 public:
  explicit CachingAllocator(RawAllocator* raw) : raw_(raw) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least `bytes` (0 gives a 512 B block) for work on `stream` (an opaque id; 0 is
  // the default stream). Throws OutOfMemory naming the request and the counters.
  void* allocate(size_t bytes, uintptr_t stream = 0);
  // Returns a block to its pool. Throws std::invalid_argument for a pointer it did not hand out.
  void free(void* ptr);
  // Releases every cached segment that holds no live block back to the raw allocator.
  void empty_cache();
  // True when `ptr` is a live block of this allocator.
  bool owns(const void* ptr) const;
  // The block size behind a live pointer (throws as free does).
  size_t block_size(const void* ptr) const;
  CacheStats stats() const;
  // Zeroes the peaks to the current values (to measure the high-water mark of one phase).
  void reset_peaks();

 private:
  struct Block {
    uintptr_t stream;
    size_t size;
    char* ptr;
    bool small;          // which pool it returns to
    bool allocated;
    Block* prev;         // neighbours inside the same segment (null at the segment's ends)
    Block* next;
  };
  // Pools order free blocks by (stream, size, address): a lower_bound finds the best fit.
  struct Order {
    bool operator()(const Block* a, const Block* b) const {
      if (a->stream != b->stream) return a->stream < b->stream;
      if (a->size != b->size) return a->size < b->size;
      return a->ptr < b->ptr;
    }
  };
  using Pool = std::set<Block*, Order>;

  Block* find_free(Pool& pool, uintptr_t stream, size_t size);
  Block* new_segment(size_t rounded, uintptr_t stream, bool small);
  void release_cached_segments();
  void merge_into(Block* dst, Block* src);
  std::string describe(size_t bytes) const;

  RawAllocator* raw_;
  mutable std::mutex mu_;
  Pool small_pool_;
  Pool large_pool_;
  std::unordered_map<const void*, Block*> live_;  // allocated blocks by address
  CacheStats stats_{};
};

}  // namespace neox::gpu
