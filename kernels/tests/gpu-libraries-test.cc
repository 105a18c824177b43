// Run-time loading of cuBLAS, cuBLASLt and NCCL (kernels/gpu/libraries.cc): the symbol lists match
// the API tables, cuBLAS is resolved through its `_v2` names (the legacy names are macros in
// cublas_v2.h, not symbols), and a library that is not installed gives an error naming every
// soname tried. On a machine that has the library, the same test requires the load to succeed.
#include <dlfcn.h>

#include <string>

#include "check.h"
#include "gpu/libraries.h"

namespace {

bool any_opens(const std::vector<std::string>& sonames) {
  for (const auto& name : sonames) {
    if (void* lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      dlclose(lib);
      return true;
    }
  }
  return false;
}

bool lists(const std::vector<const char*>& symbols, const std::string& name) {
  for (const char* s : symbols)
    if (name == s) return true;
  return false;
}

// Either the library loads, or the error names each soname tried and the fix.
template <class Load>
void check_load(const char* what, const std::vector<std::string>& sonames, Load load) {
  std::string error;
  const void* api = load(&error);
  if (any_opens(sonames)) {
    CHECK(api != nullptr) << what << " is installed but failed to load: " << error;
    return;
  }
  CHECK(api == nullptr) << what;
  CHECK(error.rfind(std::string(what) + ": could not load ", 0) == 0) << error;
  for (const auto& name : sonames) CHECK(error.find(name + " (") != std::string::npos) << error;
  CHECK(error.find("LD_LIBRARY_PATH") != std::string::npos) << error;
  std::string again;
  CHECK(load(&again) == nullptr && again == error) << "a failed load is remembered";
}

}  // namespace

TEST(gpu_libraries_symbol_lists_match_the_api_tables) {
  using namespace neox::gpu;
  CHECK(cublas_symbols().size() * sizeof(void*) == sizeof(cublas::Api));
  CHECK(cublas_lt_symbols().size() * sizeof(void*) == sizeof(cublas::LtApi));
  CHECK(nccl_symbols().size() * sizeof(void*) == sizeof(nccl::Api));
}

TEST(gpu_libraries_resolve_the_v2_cublas_names) {
  using neox::gpu::cublas_symbols;
  for (const char* name : {"cublasCreate_v2", "cublasDestroy_v2", "cublasSetStream_v2", "cublasSetWorkspace_v2"})
    CHECK(lists(cublas_symbols(), name)) << name;
  for (const char* name : {"cublasCreate", "cublasDestroy", "cublasSetStream"})
    CHECK(!lists(cublas_symbols(), name)) << name << " is a macro, not an exported symbol";
  for (const char* name : {"cublasGemmEx", "cublasGemmStridedBatchedEx"}) CHECK(lists(cublas_symbols(), name)) << name;
  for (const char* name : {"ncclCommInitRank", "ncclAllReduce", "ncclReduceScatter", "ncclAllGather", "ncclBroadcast",
                           "ncclSend", "ncclRecv", "ncclGroupStart", "ncclGroupEnd"})
    CHECK(lists(neox::gpu::nccl_symbols(), name)) << name;
}

TEST(gpu_libraries_load_or_name_what_was_tried) {
  using namespace neox::gpu;
  check_load("cuBLAS", cublas_sonames(), [](std::string* e) -> const void* { return load_cublas(e); });
  check_load("cuBLASLt", cublas_lt_sonames(), [](std::string* e) -> const void* { return load_cublas_lt(e); });
  check_load("NCCL", nccl_sonames(), [](std::string* e) -> const void* { return load_nccl(e); });
}
