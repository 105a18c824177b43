// The CUDA runtime calls behind runtime.h. Linked with the static CUDA runtime (-cudart static), so
// the library loads without a driver; without one every call returns cudaErrorInsufficientDriver.
#include <cuda_runtime.h>

#include <cstring>

#include "gpu/runtime.h"

namespace neox::gpu {

namespace {
thread_local std::string g_last_error;

cudaMemcpyKind memcpy_kind(int kind) {
  switch (kind) {
    case NEOX_GPU_HOST_TO_DEVICE:
      return cudaMemcpyHostToDevice;
    case NEOX_GPU_DEVICE_TO_HOST:
      return cudaMemcpyDeviceToHost;
    case NEOX_GPU_DEVICE_TO_DEVICE:
      return cudaMemcpyDeviceToDevice;
    default:
      return cudaMemcpyDefault;
  }
}
}  // namespace

const char* last_error() { return g_last_error.c_str(); }

int fail(int status, const std::string& message) {
  g_last_error = message;
  return status;
}

int cuda_check(int cuda_error, const char* what) {
  if (cuda_error == cudaSuccess) return 0;
  auto e = static_cast<cudaError_t>(cuda_error);
  cudaGetLastError();  // clear the sticky copy of a non-fatal error
  return fail(cuda_error, std::string(what) + ": " + cudaGetErrorName(e) + " (" + std::to_string(cuda_error) +
                              "): " + cudaGetErrorString(e));
}

int runtime_version(int* version) { return cuda_check(cudaRuntimeGetVersion(version), "cudaRuntimeGetVersion"); }

int driver_version(int* version) { return cuda_check(cudaDriverGetVersion(version), "cudaDriverGetVersion"); }

int device_count(int* count) {
  *count = 0;
  return cuda_check(cudaGetDeviceCount(count), "cudaGetDeviceCount");
}

int device_info(int device, NeoxGpuDeviceInfo* out) {
  cudaDeviceProp prop;
  if (int s = cuda_check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties")) return s;
  std::memset(out, 0, sizeof *out);
  std::strncpy(out->name, prop.name, sizeof out->name - 1);
  out->major = prop.major;
  out->minor = prop.minor;
  out->multiprocessors = prop.multiProcessorCount;
  out->total_memory = prop.totalGlobalMem;
  return 0;
}

int set_device(int device) { return cuda_check(cudaSetDevice(device), "cudaSetDevice"); }
int get_device(int* device) { return cuda_check(cudaGetDevice(device), "cudaGetDevice"); }
int device_synchronize() { return cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }
int mem_get_info(size_t* free_bytes, size_t* total_bytes) {
  return cuda_check(cudaMemGetInfo(free_bytes, total_bytes), "cudaMemGetInfo");
}

// cudaMemcpy may return before the copy is done: from pageable host memory once the bytes are
// staged, and device to device without waiting at all. It runs on the default stream, which our
// non-blocking streams do not wait for, so a kernel queued next could read dst early; waiting for
// the default stream makes the copy complete on return, as api.h promises.
int memcpy_sync(void* dst, const void* src, size_t bytes, int kind) {
  if (bytes == 0) return 0;
  if (int st = cuda_check(cudaMemcpy(dst, src, bytes, memcpy_kind(kind)), "cudaMemcpy")) return st;
  return cuda_check(cudaStreamSynchronize(0), "cudaMemcpy: cudaStreamSynchronize");
}

int memcpy_async(void* dst, const void* src, size_t bytes, int kind, void* stream) {
  if (bytes == 0) return 0;
  return cuda_check(cudaMemcpyAsync(dst, src, bytes, memcpy_kind(kind), static_cast<cudaStream_t>(stream)),
                    "cudaMemcpyAsync");
}

int memset_async(void* dst, int value, size_t bytes, void* stream) {
  if (bytes == 0) return 0;
  return cuda_check(cudaMemsetAsync(dst, value, bytes, static_cast<cudaStream_t>(stream)), "cudaMemsetAsync");
}

int stream_create(void** out) {
  cudaStream_t s = nullptr;
  // Non-blocking: our streams do not serialise with the legacy default stream.
  int status = cuda_check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  *out = s;
  return status;
}
int stream_destroy(void* stream) {
  return cuda_check(cudaStreamDestroy(static_cast<cudaStream_t>(stream)), "cudaStreamDestroy");
}
int stream_synchronize(void* stream) {
  return cuda_check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize");
}
int stream_wait_event(void* stream, void* event) {
  return cuda_check(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), static_cast<cudaEvent_t>(event), 0),
                    "cudaStreamWaitEvent");
}

int event_create(void** out, int enable_timing) {
  cudaEvent_t e = nullptr;
  int status = cuda_check(cudaEventCreateWithFlags(&e, enable_timing ? cudaEventDefault : cudaEventDisableTiming),
                          "cudaEventCreateWithFlags");
  *out = e;
  return status;
}
int event_destroy(void* event) {
  return cuda_check(cudaEventDestroy(static_cast<cudaEvent_t>(event)), "cudaEventDestroy");
}
int event_record(void* event, void* stream) {
  return cuda_check(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)),
                    "cudaEventRecord");
}
int event_synchronize(void* event) {
  return cuda_check(cudaEventSynchronize(static_cast<cudaEvent_t>(event)), "cudaEventSynchronize");
}
int event_elapsed_ms(float* ms, void* start, void* end) {
  return cuda_check(cudaEventElapsedTime(ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)),
                    "cudaEventElapsedTime");
}

}  // namespace neox::gpu
