// The CUDA runtime surface of the GPU library: status reporting, devices, streams, events,
// copies and memset. Each function returns 0 or a nonzero status (a cudaError_t value, or a
// negative NEOX_GPU_* code from api.h) and records a description for last_error(). The types are
// plain (void* for streams and events) so callers need no CUDA headers; api.cu puts these
// functions into the exported table.
#pragma once

#include <cstddef>
#include <string>

#include "gpu/api.h"

namespace neox::gpu {

// The description of the last failure on this thread ("" when none).
const char* last_error();
// Records `message` as this thread's last error and returns `status`.
int fail(int status, const std::string& message);
// 0 when cuda_error is cudaSuccess; otherwise records "<what>: cudaErrorName (code): text" and
// returns the code. Clears the sticky per-thread CUDA error so the next call starts clean.
int cuda_check(int cuda_error, const char* what);

int runtime_version(int* version);
int driver_version(int* version);
int device_count(int* count);
int device_info(int device, NeoxGpuDeviceInfo* out);
int set_device(int device);
int get_device(int* device);
int device_synchronize();
int mem_get_info(size_t* free_bytes, size_t* total_bytes);

int memcpy_sync(void* dst, const void* src, size_t bytes, int kind);
int memcpy_async(void* dst, const void* src, size_t bytes, int kind, void* stream);
int memset_async(void* dst, int value, size_t bytes, void* stream);

int stream_create(void** out);
int stream_destroy(void* stream);
int stream_synchronize(void* stream);
int stream_wait_event(void* stream, void* event);
int event_create(void** out, int enable_timing);
int event_destroy(void* event);
int event_record(void* event, void* stream);
int event_synchronize(void* event);
int event_elapsed_ms(float* ms, void* start, void* end);

}  // namespace neox::gpu
