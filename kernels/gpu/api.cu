// The exported table (api.h): the one symbol the addon looks up. Everything else in the library is
// hidden (-fvisibility=hidden), so part of the ABI is only what this file puts in the table.
#include <string>

#include "gpu/api.h"
#include "gpu/device-memory.h"
#include "gpu/elementwise.h"
#include "gpu/libraries.h"
#include "gpu/ops.h"
#include "gpu/runtime.h"

namespace neox::gpu {

namespace {

int load_cublas_both() {
  std::string error;
  if (load_cublas(&error) == nullptr) return fail(NEOX_GPU_LIBRARY_MISSING, error);
  if (load_cublas_lt(&error) == nullptr) return fail(NEOX_GPU_LIBRARY_MISSING, error);
  return 0;
}

int load_nccl_api() {
  std::string error;
  if (load_nccl(&error) == nullptr) return fail(NEOX_GPU_LIBRARY_MISSING, error);
  return 0;
}

// Positional, in api.h's field order: a function in the wrong slot has the wrong type and fails to
// compile; the addon checks that no slot is null when it opens the library.
const NeoxGpuApi kApi = {
    NEOX_GPU_ABI_VERSION,
    sizeof(NeoxGpuApi),
    last_error,
    runtime_version,
    driver_version,
    device_count,
    device_info,
    set_device,
    get_device,
    device_synchronize,
    mem_get_info,
    device_malloc,
    device_free,
    device_empty_cache,
    device_alloc_stats,
    device_reset_peak_stats,
    memcpy_sync,
    memcpy_async,
    memset_async,
    stream_create,
    stream_destroy,
    stream_synchronize,
    stream_wait_event,
    event_create,
    event_destroy,
    event_record,
    event_synchronize,
    event_elapsed_ms,
    fill_f32,
    copy_f32,
    cast_f32_to_bf16,
    cast_bf16_to_f32,
    add_f32,
    axpy_f32,
    load_cublas_both,
    load_nccl_api,
    op_count,
    op_signature,
    op_launch,
};

}  // namespace

}  // namespace neox::gpu

extern "C" __attribute__((visibility("default"))) const NeoxGpuApi* neox_gpu_api(int abi_version) {
  if (abi_version > NEOX_GPU_ABI_VERSION) return nullptr;
  return &neox::gpu::kApi;
}
