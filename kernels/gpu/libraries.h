// Run-time loading of cuBLAS, cuBLASLt and NCCL by soname (dlopen), resolving the functions
// declared in cublas-api.h and nccl-api.h. Nothing links them, so the GPU library loads without
// them and only the ops that need one fail, with a message naming the library or symbol missing.
// Plain C++ (no CUDA headers): kernels/tests/gpu-libraries-test.cc runs it on any machine.
#pragma once

#include <string>
#include <vector>

#include "gpu/cublas-api.h"
#include "gpu/nccl-api.h"

namespace neox::gpu {

// The sonames tried, in order (CUDA 13's first, then CUDA 12's).
const std::vector<std::string>& cublas_sonames();
const std::vector<std::string>& cublas_lt_sonames();
const std::vector<std::string>& nccl_sonames();

// The symbols each loader resolves, in the order of the Api struct's fields.
const std::vector<const char*>& cublas_symbols();
const std::vector<const char*>& cublas_lt_symbols();
const std::vector<const char*>& nccl_symbols();

// Each loads its library once per process and returns its functions, or nullptr with *error set to
// what was tried ("libcublas.so.13 (dlerror), libcublas.so.12 (dlerror)") or which symbol was
// missing from which file. A failure is remembered: later calls return the same error.
const cublas::Api* load_cublas(std::string* error);
const cublas::LtApi* load_cublas_lt(std::string* error);
const nccl::Api* load_nccl(std::string* error);

}  // namespace neox::gpu
