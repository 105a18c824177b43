// Opening libneox_gpu.so (dlopen, then its one export neox_gpu_api) and the device queries.
// JS: gpuOpen(path) -> { path, abiVersion, runtimeVersion }; gpuDriverLibrary() -> { found, error };
// gpuDeviceCount() -> { count, status, error } (never throws: "no device" is an answer, not a bug);
// gpuDeviceInfo(d); gpuSetDevice(d); gpuDeviceSynchronize(); gpuLoadCublas(); gpuLoadNccl().
#include <dlfcn.h>

#include <cstring>
#include <mutex>

#include "gpu-library.h"
#include "registry.h"

namespace neox::napi {

namespace {

std::mutex g_mu;
const NeoxGpuApi* g_api = nullptr;
std::string g_path;

napi_value object(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  return o;
}
void set(napi_env env, napi_value o, const char* key, napi_value v) { napi_set_named_property(env, o, key, v); }

// Opens `path` and returns its table, or throws naming the path and what went wrong.
const NeoxGpuApi* open_library(const std::string& path) {
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    throw std::runtime_error("cannot load " + path + ": " + (why ? why : "dlopen failed"));
  }
  auto entry = reinterpret_cast<NeoxGpuApiEntry>(dlsym(lib, "neox_gpu_api"));
  if (entry == nullptr) {
    dlclose(lib);
    throw std::runtime_error(path + " does not export neox_gpu_api: not a neox GPU library");
  }
  const NeoxGpuApi* api = entry(NEOX_GPU_ABI_VERSION);
  if (api == nullptr) {
    const NeoxGpuApi* any = entry(0);
    std::string found = any ? std::to_string(any->abi_version) : "unknown";
    dlclose(lib);
    throw std::runtime_error(path + " has GPU ABI version " + found + ", this addon needs " +
                             std::to_string(NEOX_GPU_ABI_VERSION) +
                             "; rebuild both (`pnpm --filter @neox/kernels build:native`)");
  }
  // Every slot we know of must be filled: a null one is a table built from a mismatched api.h.
  if (api->struct_size < sizeof(NeoxGpuApi)) {
    dlclose(lib);
    throw std::runtime_error(path + ": its API table is " + std::to_string(api->struct_size) + " bytes, expected " +
                             std::to_string(sizeof(NeoxGpuApi)) + "; rebuild it");
  }
  const size_t first = offsetof(NeoxGpuApi, last_error);
  for (size_t off = first; off + sizeof(void*) <= sizeof(NeoxGpuApi); off += sizeof(void*)) {
    void* slot;
    std::memcpy(&slot, reinterpret_cast<const char*>(api) + off, sizeof slot);
    if (slot == nullptr) {
      dlclose(lib);
      throw std::runtime_error(path + ": API table entry " + std::to_string((off - first) / sizeof(void*)) +
                               " is null; rebuild it");
    }
  }
  return api;
}

napi_value gpuOpen(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuOpen", 1, [&](const Args& a) {
    std::string path = a.str(0);
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_api != nullptr && path != g_path)
      throw std::runtime_error("a GPU library is already open (" + g_path + "); cannot also open " + path);
    // The library stays loaded for the life of the process: device memory and streams live in it.
    if (g_api == nullptr) {
      g_api = open_library(path);
      g_path = path;
    }
    int runtime = 0;
    g_api->runtime_version(&runtime);
    napi_value o = object(env);
    set(env, o, "path", string(env, g_path));
    set(env, o, "abiVersion", number(env, g_api->abi_version));
    set(env, o, "runtimeVersion", number(env, runtime));
    return o;
  });
}

// Whether the NVIDIA driver's user-space library can be loaded (it is what the CUDA runtime needs;
// its absence is why CUDA calls return cudaErrorInsufficientDriver).
napi_value gpuDriverLibrary(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuDriverLibrary", 0, [&](const Args&) {
    napi_value o = object(env);
    set(env, o, "name", string(env, "libcuda.so.1"));
    void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (lib != nullptr) {
      dlclose(lib);
      set(env, o, "found", number(env, 1));
      set(env, o, "error", string(env, ""));
    } else {
      const char* why = dlerror();
      set(env, o, "found", number(env, 0));
      set(env, o, "error", string(env, why ? why : "not found"));
    }
    return o;
  });
}

napi_value gpuDeviceCount(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuDeviceCount", 0, [&](const Args&) {
    int count = 0;
    int status = gpu().device_count(&count);
    napi_value o = object(env);
    set(env, o, "count", number(env, status == 0 ? count : 0));
    set(env, o, "status", number(env, status));
    set(env, o, "error", string(env, status == 0 ? "" : gpu().last_error()));
    return o;
  });
}

napi_value gpuDeviceInfo(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuDeviceInfo", 1, [&](const Args& a) {
    NeoxGpuDeviceInfo d;
    gpu_check(gpu().device_info(static_cast<int>(a.size(0)), &d), "gpuDeviceInfo");
    napi_value o = object(env);
    set(env, o, "name", string(env, d.name));
    set(env, o, "major", number(env, d.major));
    set(env, o, "minor", number(env, d.minor));
    set(env, o, "multiprocessors", number(env, d.multiprocessors));
    set(env, o, "totalMemory", number(env, static_cast<double>(d.total_memory)));
    return o;
  });
}

napi_value gpuSetDevice(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuSetDevice", 1,
              [&](const Args& a) { gpu_check(gpu().set_device(static_cast<int>(a.size(0))), "gpuSetDevice"); });
}

napi_value gpuDeviceSynchronize(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuDeviceSynchronize", 0,
              [&](const Args&) { gpu_check(gpu().device_synchronize(), "gpuDeviceSynchronize"); });
}

napi_value gpuLoadCublas(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuLoadCublas", 0, [&](const Args&) { gpu_check(gpu().load_cublas(), "gpuLoadCublas"); });
}

napi_value gpuLoadNccl(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuLoadNccl", 0, [&](const Args&) { gpu_check(gpu().load_nccl(), "gpuLoadNccl"); });
}

NEOX_REGISTER_RUNTIME("gpuOpen", gpuOpen);
NEOX_REGISTER_RUNTIME("gpuDriverLibrary", gpuDriverLibrary);
NEOX_REGISTER_RUNTIME("gpuDeviceCount", gpuDeviceCount);
NEOX_REGISTER_RUNTIME("gpuDeviceInfo", gpuDeviceInfo);
NEOX_REGISTER_RUNTIME("gpuSetDevice", gpuSetDevice);
NEOX_REGISTER_RUNTIME("gpuDeviceSynchronize", gpuDeviceSynchronize);
NEOX_REGISTER_RUNTIME("gpuLoadCublas", gpuLoadCublas);
NEOX_REGISTER_RUNTIME("gpuLoadNccl", gpuLoadNccl);

}  // namespace

const NeoxGpuApi& gpu() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_api == nullptr) throw std::runtime_error("no GPU library is open; call gpuOpen (loadCuda) first");
  return *g_api;
}

}  // namespace neox::napi
