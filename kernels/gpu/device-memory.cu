// Caching allocators over cudaMalloc/cudaFree, one per device (see device-memory.h).
#include <cuda_runtime.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "gpu/caching-allocator.h"
#include "gpu/device-memory.h"
#include "gpu/runtime.h"

namespace neox::gpu {

namespace {

constexpr int kMaxDevices = 64;

// cudaMalloc/cudaFree on one device. The allocator calls these under its lock, on whatever device
// is current, so each call selects its own device and restores the caller's.
class CudaRaw : public RawAllocator {
 public:
  explicit CudaRaw(int device) : device_(device) {}
  void* allocate(size_t bytes) override {
    DeviceGuard guard(device_);
    void* p = nullptr;
    if (cudaMalloc(&p, bytes) != cudaSuccess) {
      cudaGetLastError();  // out of memory is not sticky; clear it so the retry starts clean
      return nullptr;
    }
    return p;
  }
  void release(void* ptr) override {
    DeviceGuard guard(device_);
    cudaFree(ptr);
  }

 private:
  struct DeviceGuard {
    int previous = -1;
    explicit DeviceGuard(int device) {
      cudaGetDevice(&previous);
      if (previous != device) cudaSetDevice(device);
    }
    ~DeviceGuard() {
      if (previous >= 0) cudaSetDevice(previous);
    }
  };
  int device_;
};

struct DeviceCache {
  std::unique_ptr<CudaRaw> raw;
  std::unique_ptr<CachingAllocator> cache;
};

std::mutex g_mu;
DeviceCache g_devices[kMaxDevices];

CachingAllocator* cache_for(int device, bool create) {
  if (device < 0 || device >= kMaxDevices) return nullptr;
  std::lock_guard<std::mutex> lock(g_mu);
  DeviceCache& d = g_devices[device];
  if (!d.cache && create) {
    d.raw = std::make_unique<CudaRaw>(device);
    d.cache = std::make_unique<CachingAllocator>(d.raw.get());
  }
  return d.cache.get();
}

}  // namespace

int device_malloc(void** out, size_t bytes, void* stream) {
  *out = nullptr;
  int device = 0;
  if (int s = cuda_check(cudaGetDevice(&device), "device malloc: cudaGetDevice")) return s;
  CachingAllocator* cache = cache_for(device, true);
  if (cache == nullptr) return fail(NEOX_GPU_INVALID_ARGUMENT, "device malloc: device " + std::to_string(device) + " is past the 64 supported");
  try {
    *out = cache->allocate(bytes, reinterpret_cast<uintptr_t>(stream));
    return 0;
  } catch (const OutOfMemory& e) {
    return fail(cudaErrorMemoryAllocation, "device " + std::to_string(device) + ": " + e.what());
  }
}

int device_free(void* ptr) {
  if (ptr == nullptr) return 0;
  for (int d = 0; d < kMaxDevices; ++d) {
    CachingAllocator* cache = cache_for(d, false);
    if (cache != nullptr && cache->owns(ptr)) {
      cache->free(ptr);
      return 0;
    }
  }
  return fail(NEOX_GPU_INVALID_ARGUMENT,
              "device free: the address is not a live device block (freed twice, or not from this allocator)");
}

int device_empty_cache() {
  for (int d = 0; d < kMaxDevices; ++d)
    if (CachingAllocator* cache = cache_for(d, false)) cache->empty_cache();
  return 0;
}

int device_alloc_stats(int device, NeoxGpuAllocStats* out) {
  if (device < 0 || device >= kMaxDevices)
    return fail(NEOX_GPU_INVALID_ARGUMENT, "alloc stats: no device " + std::to_string(device));
  *out = NeoxGpuAllocStats{};
  CachingAllocator* cache = cache_for(device, false);
  if (cache == nullptr) return 0;
  CacheStats s = cache->stats();
  *out = NeoxGpuAllocStats{s.allocated_bytes, s.reserved_bytes, s.peak_allocated_bytes, s.peak_reserved_bytes,
                           s.requests,        s.total_bytes,    s.raw_allocs,           s.raw_frees,
                           s.retries,         s.live_blocks,    s.cached_blocks};
  return 0;
}

int device_reset_peak_stats(int device) {
  if (CachingAllocator* cache = cache_for(device, false)) cache->reset_peaks();
  return 0;
}

}  // namespace neox::gpu
