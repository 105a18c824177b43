// The GPU library as the addon sees it: the table of kernels/gpu/api.h once gpuOpen() has loaded
// libneox_gpu.so, and the check that turns a nonzero status into an exception. Shared by the
// gpu-*.cc glue files; nothing here includes CUDA headers or links CUDA.
#pragma once

#include <stdexcept>
#include <string>

#include "gpu/api.h"

namespace neox::napi {

// The opened table; throws "no GPU library is open; call gpuOpen (loadCuda) first" before gpuOpen.
const NeoxGpuApi& gpu();

// Throws std::runtime_error "<what>: <library's last_error> (status N)" when status != 0.
inline void gpu_check(int status, const char* what) {
  if (status == 0) return;
  const char* detail = gpu().last_error();
  throw std::runtime_error(std::string(what) + ": " + (detail && *detail ? detail : "failed") + " (status " +
                           std::to_string(status) + ")");
}

}  // namespace neox::napi
