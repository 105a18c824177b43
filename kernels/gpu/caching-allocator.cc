// The caching allocator's bookkeeping (see caching-allocator.h for the size classes and policy).
#include "gpu/caching-allocator.h"

#include <cstdio>
#include <vector>

namespace neox::gpu {

size_t round_size(size_t bytes) {
  if (bytes < kMinBlockSize) return kMinBlockSize;
  return kMinBlockSize * ((bytes + kMinBlockSize - 1) / kMinBlockSize);
}

size_t segment_size(size_t rounded) {
  if (rounded <= kSmallSize) return kSmallBuffer;
  if (rounded < kMinLargeAlloc) return kLargeBuffer;
  return kRoundLarge * ((rounded + kRoundLarge - 1) / kRoundLarge);
}

CachingAllocator::~CachingAllocator() {
  // Live blocks keep their segments: freeing memory a caller still uses would be worse than a leak.
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_segments();
}

CachingAllocator::Block* CachingAllocator::find_free(Pool& pool, uintptr_t stream, size_t size) {
  Block key{stream, size, nullptr, false, false, nullptr, nullptr};
  auto it = pool.lower_bound(&key);
  if (it == pool.end() || (*it)->stream != stream) return nullptr;
  Block* b = *it;
  pool.erase(it);
  return b;
}

CachingAllocator::Block* CachingAllocator::new_segment(size_t rounded, uintptr_t stream, bool small) {
  size_t bytes = segment_size(rounded);
  void* p = raw_->allocate(bytes);
  if (p == nullptr) return nullptr;
  stats_.raw_allocs++;
  stats_.reserved_bytes += bytes;
  if (stats_.reserved_bytes > stats_.peak_reserved_bytes) stats_.peak_reserved_bytes = stats_.reserved_bytes;
  return new Block{stream, bytes, static_cast<char*>(p), small, false, nullptr, nullptr};
}

void* CachingAllocator::allocate(size_t bytes, uintptr_t stream) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t size = round_size(bytes);
  bool small = size <= kSmallSize;
  Pool& pool = small ? small_pool_ : large_pool_;
  Block* b = find_free(pool, stream, size);
  if (b == nullptr) {
    b = new_segment(size, stream, small);
    if (b == nullptr) {
      // The memory may be held by cached segments of other sizes or streams: give those back.
      stats_.retries++;
      release_cached_segments();
      b = new_segment(size, stream, small);
    }
    if (b == nullptr) throw OutOfMemory(describe(bytes));
  }
  // Split off the rest when it is worth keeping: any 512 B in the small pool; in the large pool
  // only more than 1 MiB, so large segments are not shredded into pieces only small requests fit.
  size_t rest = b->size - size;
  if (small ? rest >= kMinBlockSize : rest > kSmallSize) {
    Block* tail = new Block{stream, rest, b->ptr + size, small, false, b, b->next};
    if (b->next) b->next->prev = tail;
    b->next = tail;
    b->size = size;
    pool.insert(tail);
  }
  b->allocated = true;
  live_[b->ptr] = b;
  stats_.requests++;
  stats_.total_bytes += b->size;
  stats_.live_blocks++;
  stats_.allocated_bytes += b->size;
  if (stats_.allocated_bytes > stats_.peak_allocated_bytes) stats_.peak_allocated_bytes = stats_.allocated_bytes;
  return b->ptr;
}

// Folds the free neighbour `src` into `dst` (which is not in a pool while this runs).
void CachingAllocator::merge_into(Block* dst, Block* src) {
  if (src == dst->prev) {
    dst->ptr = src->ptr;
    dst->prev = src->prev;
    if (dst->prev) dst->prev->next = dst;
  } else {
    dst->next = src->next;
    if (dst->next) dst->next->prev = dst;
  }
  dst->size += src->size;
  delete src;
}

void CachingAllocator::free(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%p", ptr);
    throw std::invalid_argument(std::string("caching allocator: free of ") + buf +
                                ", which is not a live block (freed twice, or not from this allocator)");
  }
  Block* b = it->second;
  live_.erase(it);
  b->allocated = false;
  stats_.live_blocks--;
  stats_.allocated_bytes -= b->size;
  Pool& pool = b->small ? small_pool_ : large_pool_;
  for (Block* n : {b->prev, b->next}) {
    if (n != nullptr && !n->allocated) {
      pool.erase(n);
      merge_into(b, n);
    }
  }
  pool.insert(b);
}

void CachingAllocator::release_cached_segments() {
  for (Pool* pool : {&small_pool_, &large_pool_}) {
    std::vector<Block*> whole;
    for (Block* b : *pool)
      if (b->prev == nullptr && b->next == nullptr) whole.push_back(b);
    for (Block* b : whole) {
      pool->erase(b);
      raw_->release(b->ptr);
      stats_.raw_frees++;
      stats_.reserved_bytes -= b->size;
      delete b;
    }
  }
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_segments();
}

bool CachingAllocator::owns(const void* ptr) const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.count(ptr) != 0;
}

size_t CachingAllocator::block_size(const void* ptr) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) throw std::invalid_argument("caching allocator: block_size of a pointer that is not a live block");
  return it->second->size;
}

CacheStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  CacheStats s = stats_;
  s.cached_blocks = small_pool_.size() + large_pool_.size();
  return s;
}

void CachingAllocator::reset_peaks() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_allocated_bytes = stats_.allocated_bytes;
  stats_.peak_reserved_bytes = stats_.reserved_bytes;
}

std::string CachingAllocator::describe(size_t bytes) const {
  size_t rounded = round_size(bytes);
  return "out of device memory: requested " + std::to_string(bytes) + " bytes (a block of " + std::to_string(rounded) +
         " in a segment of " + std::to_string(segment_size(rounded)) + "); allocated " +
         std::to_string(stats_.allocated_bytes) + " bytes, reserved " + std::to_string(stats_.reserved_bytes) +
         " after releasing the cache, " + std::to_string(live_.size()) + " live blocks";
}

}  // namespace neox::gpu
