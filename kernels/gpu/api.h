/* The C ABI between the Node addon and the GPU library libneox_gpu.so. The addon dlopens the
 * library, calls its one exported function neox_gpu_api(NEOX_GPU_ABI_VERSION) and from then on
 * calls only through the returned table, so the addon never links CUDA and loads on any machine.
 *
 * Versioning: the table only grows at its end. A new function is appended, and
 * NEOX_GPU_ABI_VERSION goes up by one; neox_gpu_api(v) returns the table when the library's version
 * is >= v (an older caller sees the prefix it knows) and NULL otherwise. neox_gpu_api(0) returns
 * the table whatever its version, so a caller can report the version it found.
 *
 * Every function returns 0 on success or a nonzero status: a cudaError_t value (35 is
 * cudaErrorInsufficientDriver, 100 cudaErrorNoDevice, 2 cudaErrorMemoryAllocation) or one of the
 * negative NEOX_GPU_* codes below; last_error() then describes it. Plain C, no CUDA headers. */
#ifndef NEOX_GPU_API_H
#define NEOX_GPU_API_H

#include <stddef.h>
#include <stdint.h>

#define NEOX_GPU_ABI_VERSION 2

#define NEOX_GPU_LIBRARY_MISSING (-1) /* cuBLAS / cuBLASLt / NCCL could not be loaded */
#define NEOX_GPU_INVALID_ARGUMENT (-2)

/* cudaMemcpyKind values */
#define NEOX_GPU_HOST_TO_DEVICE 1
#define NEOX_GPU_DEVICE_TO_HOST 2
#define NEOX_GPU_DEVICE_TO_DEVICE 3

#ifdef __cplusplus
extern "C" {
#endif

typedef void* NeoxGpuStream; /* cudaStream_t; NULL is the legacy default stream */
typedef void* NeoxGpuEvent;  /* cudaEvent_t */

typedef struct NeoxGpuDeviceInfo {
  char name[256];
  int major; /* compute capability: sm_<major><minor> */
  int minor;
  int multiprocessors;
  uint64_t total_memory; /* bytes */
} NeoxGpuDeviceInfo;

/* The caching allocator's counters for one device (see caching-allocator.h). */
typedef struct NeoxGpuAllocStats {
  uint64_t allocated_bytes;
  uint64_t reserved_bytes;
  uint64_t peak_allocated_bytes;
  uint64_t peak_reserved_bytes;
  uint64_t requests;
  uint64_t total_bytes; /* bytes handed out over the lifetime (rounded block sizes) */
  uint64_t raw_allocs; /* cudaMalloc calls */
  uint64_t raw_frees;  /* cudaFree calls */
  uint64_t retries;
  uint64_t live_blocks;
  uint64_t cached_blocks;
} NeoxGpuAllocStats;

/* One argument of an op launch (op_launch, ABI 2): a number (an address, size, flag as 0/1, or
 * scalar), or a list of numbers (the multi-tensor optimizers' addresses, sizes and weight decays)
 * when list is non-null. Addresses travel as doubles: exact below 2^53, as in JavaScript. */
typedef struct NeoxGpuArg {
  double value;
  const double* list;
  int64_t count; /* entries in list */
} NeoxGpuArg;

typedef struct NeoxGpuApi {
  int abi_version;
  size_t struct_size; /* sizeof(NeoxGpuApi) in the library */

  /* Description of the last failure on this thread ("" when none). */
  const char* (*last_error)(void);

  /* Devices */
  int (*runtime_version)(int* version); /* cudaRuntimeGetVersion: 13000 is CUDA 13.0 */
  int (*driver_version)(int* version);  /* 0 when no driver is installed */
  int (*device_count)(int* count);
  int (*device_info)(int device, NeoxGpuDeviceInfo* out);
  int (*set_device)(int device);
  int (*get_device)(int* device);
  int (*device_synchronize)(void);
  int (*mem_get_info)(size_t* free_bytes, size_t* total_bytes);

  /* Device memory through the caching allocator of the current device. A block is reused only by
   * work on the stream it was allocated for. */
  int (*malloc)(void** out, size_t bytes, NeoxGpuStream stream);
  int (*free)(void* ptr);
  int (*empty_cache)(void);
  int (*alloc_stats)(int device, NeoxGpuAllocStats* out);
  int (*reset_peak_stats)(int device);

  /* Copies and memset. memcpy waits for the copy; the _async forms queue on a stream. */
  int (*memcpy)(void* dst, const void* src, size_t bytes, int kind);
  int (*memcpy_async)(void* dst, const void* src, size_t bytes, int kind, NeoxGpuStream stream);
  int (*memset_async)(void* dst, int value, size_t bytes, NeoxGpuStream stream);

  /* Streams and events */
  int (*stream_create)(NeoxGpuStream* out);
  int (*stream_destroy)(NeoxGpuStream stream);
  int (*stream_synchronize)(NeoxGpuStream stream);
  int (*stream_wait_event)(NeoxGpuStream stream, NeoxGpuEvent event);
  int (*event_create)(NeoxGpuEvent* out, int enable_timing);
  int (*event_destroy)(NeoxGpuEvent event);
  int (*event_record)(NeoxGpuEvent event, NeoxGpuStream stream);
  int (*event_synchronize)(NeoxGpuEvent event);
  int (*event_elapsed_ms)(float* ms, NeoxGpuEvent start, NeoxGpuEvent end);

  /* Element-wise kernels (n elements; queued on the stream) */
  int (*fill_f32)(float* dst, float value, int64_t n, NeoxGpuStream stream);
  int (*copy_f32)(float* dst, const float* src, int64_t n, NeoxGpuStream stream);
  int (*cast_f32_to_bf16)(uint16_t* dst, const float* src, int64_t n, NeoxGpuStream stream);
  int (*cast_bf16_to_f32)(float* dst, const uint16_t* src, int64_t n, NeoxGpuStream stream);
  int (*add_f32)(float* out, const float* a, const float* b, int64_t n, NeoxGpuStream stream);
  int (*axpy_f32)(float* y, float alpha, const float* x, int64_t n, NeoxGpuStream stream); /* y += alpha*x */

  /* Run-time libraries: load once; NEOX_GPU_LIBRARY_MISSING names what was tried. */
  int (*load_cublas)(void); /* libcublas and libcublasLt */
  int (*load_nccl)(void);

  /* ABI 2: the op kernels (gemm, norms, activations, losses, optimizers, attention) by the names
   * and argument lists of the CPU addon's kernels (packages/tensor/src/kernels). One launcher
   * keyed by name instead of a slot per op: each op declares its signature in the library, the
   * library checks every launch against it (count, kinds, non-null addresses) and names the op
   * and argument on error, and op_signature lets callers compare the lists with their own. */
  int (*op_count)(void);
  /* "name(arg:kind,...)" of op `index` (0 .. op_count()-1), NULL past the end. Kinds: p device
   * address (non-null), o optional address (0 = none), s size >= 0, i integer, f number, b flag,
   * l list of numbers. */
  const char* (*op_signature)(int index);
  /* Queues op `name` on `stream` with nargs arguments (a few ops also wait for it: see ops.h). */
  int (*op_launch)(const char* name, const NeoxGpuArg* args, int nargs, NeoxGpuStream stream);
} NeoxGpuApi;

typedef const NeoxGpuApi* (*NeoxGpuApiEntry)(int abi_version);

/* The one exported symbol of libneox_gpu.so. */
const NeoxGpuApi* neox_gpu_api(int abi_version);

#ifdef __cplusplus
}
#endif

#endif /* NEOX_GPU_API_H */
