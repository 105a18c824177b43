// dlopen/dlsym loading of cuBLAS, cuBLASLt and NCCL (see libraries.h).
#include "gpu/libraries.h"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

namespace neox::gpu {

namespace {

// One library: the first soname that opens, then every symbol into consecutive pointer slots.
// The Api structs hold only function pointers, in symbol-list order, so slot i is symbols[i].
struct Loaded {
  std::once_flag once;
  bool ok = false;
  std::string error;
};

void load_into(const char* what, const std::vector<std::string>& sonames, const std::vector<const char*>& symbols,
               void* api, size_t api_bytes, Loaded* out) {
  std::string tried;
  void* lib = nullptr;
  std::string opened;
  for (const auto& name : sonames) {
    lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) {
      opened = name;
      break;
    }
    const char* why = dlerror();
    tried += (tried.empty() ? "" : ", ") + name + " (" + (why ? why : "not found") + ")";
  }
  if (lib == nullptr) {
    out->error = std::string(what) + ": could not load " + tried +
                 "; install it (CUDA toolkit / NCCL) or add its directory to LD_LIBRARY_PATH";
    return;
  }
  if (api_bytes != symbols.size() * sizeof(void*)) {
    out->error = std::string(what) + ": internal error: " + std::to_string(symbols.size()) +
                 " symbols for an API table of " + std::to_string(api_bytes / sizeof(void*)) + " entries";
    return;
  }
  auto* slots = static_cast<char*>(api);
  for (size_t i = 0; i < symbols.size(); ++i) {
    dlerror();
    void* fn = dlsym(lib, symbols[i]);
    if (fn == nullptr) {
      out->error = std::string(what) + ": " + opened + " has no symbol " + symbols[i] +
                   " (too old a version? we need CUDA 12+ / NCCL 2.18+)";
      return;
    }
    std::memcpy(slots + i * sizeof(void*), &fn, sizeof(void*));
  }
  out->ok = true;
}

template <class ApiT>
const ApiT* load_once(const char* what, const std::vector<std::string>& sonames,
                      const std::vector<const char*>& symbols, std::string* error) {
  static Loaded state;
  static ApiT api{};
  std::call_once(state.once, [&] { load_into(what, sonames, symbols, &api, sizeof(ApiT), &state); });
  if (!state.ok) {
    if (error) *error = state.error;
    return nullptr;
  }
  return &api;
}

}  // namespace

const std::vector<std::string>& cublas_sonames() {
  static const std::vector<std::string> names{"libcublas.so.13", "libcublas.so.12"};
  return names;
}
const std::vector<std::string>& cublas_lt_sonames() {
  static const std::vector<std::string> names{"libcublasLt.so.13", "libcublasLt.so.12"};
  return names;
}
const std::vector<std::string>& nccl_sonames() {
  static const std::vector<std::string> names{"libnccl.so.2"};
  return names;
}

const std::vector<const char*>& cublas_symbols() {
  static const std::vector<const char*> s{
      "cublasCreate_v2",  "cublasDestroy_v2",      "cublasSetStream_v2", "cublasSetWorkspace_v2",
      "cublasSetMathMode", "cublasGetStatusString", "cublasGemmEx",       "cublasGemmStridedBatchedEx",
  };
  return s;
}
const std::vector<const char*>& cublas_lt_symbols() {
  static const std::vector<const char*> s{
      "cublasLtCreate",
      "cublasLtDestroy",
      "cublasLtMatmulDescCreate",
      "cublasLtMatmulDescDestroy",
      "cublasLtMatmulDescSetAttribute",
      "cublasLtMatrixLayoutCreate",
      "cublasLtMatrixLayoutDestroy",
      "cublasLtMatrixLayoutSetAttribute",
      "cublasLtMatmulPreferenceCreate",
      "cublasLtMatmulPreferenceDestroy",
      "cublasLtMatmulPreferenceSetAttribute",
      "cublasLtMatmulAlgoGetHeuristic",
      "cublasLtMatmul",
  };
  return s;
}
const std::vector<const char*>& nccl_symbols() {
  static const std::vector<const char*> s{
      "ncclGetVersion",   "ncclGetUniqueId",       "ncclCommInitRank", "ncclCommDestroy",
      "ncclCommAbort",    "ncclCommGetAsyncError", "ncclGetErrorString", "ncclAllReduce",
      "ncclReduceScatter", "ncclAllGather",        "ncclBroadcast",    "ncclSend",
      "ncclRecv",         "ncclGroupStart",        "ncclGroupEnd",
  };
  return s;
}

const cublas::Api* load_cublas(std::string* error) {
  return load_once<cublas::Api>("cuBLAS", cublas_sonames(), cublas_symbols(), error);
}
const cublas::LtApi* load_cublas_lt(std::string* error) {
  return load_once<cublas::LtApi>("cuBLASLt", cublas_lt_sonames(), cublas_lt_symbols(), error);
}
const nccl::Api* load_nccl(std::string* error) {
  return load_once<nccl::Api>("NCCL", nccl_sonames(), nccl_symbols(), error);
}

}  // namespace neox::gpu
