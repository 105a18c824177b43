// Device memory for the GPU library: one caching allocator per device over cudaMalloc/cudaFree,
// created on the device's first allocation. Statuses as in runtime.h.
#pragma once

#include <cstddef>

#include "gpu/api.h"

namespace neox::gpu {

// Allocates on the current device for work on `stream`; cudaErrorMemoryAllocation (2) when even a
// released cache leaves too little, with the allocator's counters in last_error().
int device_malloc(void** out, size_t bytes, void* stream);
// Returns a block to its device's cache; NEOX_GPU_INVALID_ARGUMENT for an unknown pointer.
int device_free(void* ptr);
// Releases every device's unused cached segments (cudaFree).
int device_empty_cache();
// All zeros for a device that never allocated.
int device_alloc_stats(int device, NeoxGpuAllocStats* out);
int device_reset_peak_stats(int device);

}  // namespace neox::gpu
