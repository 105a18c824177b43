// Native memory for JS: counted 64-byte aligned blocks addressed by JS numbers, and zero-copy
// ArrayBuffer views onto them (the view does not own the memory; free() it explicitly).
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include "cpu/runtime.h"
#include "registry.h"

namespace {

using neox::napi::Args;
using neox::napi::call;

napi_value alloc(napi_env env, napi_callback_info info) {
  return call(env, info, "alloc", 1, [&](const Args& a) {
    int64_t bytes = a.size(0);
    return neox::napi::address(env, neox::aligned_alloc_counted(static_cast<size_t>(bytes)));
  });
}

napi_value free_(napi_env env, napi_callback_info info) {
  return call(env, info, "free", 1, [&](const Args& a) { neox::free_counted(a.ptr<void>(0)); });
}

napi_value view(napi_env env, napi_callback_info info) {
  return call(env, info, "view", 2, [&](const Args& a) {
    void* p = a.ptr<void>(0);
    int64_t bytes = a.size(1);
    if (!p && bytes > 0) a.fail(0, "is the null address");
    napi_value out;
    // No finalizer: the ArrayBuffer borrows the memory, whose owner frees it.
    if (napi_create_external_arraybuffer(env, p, static_cast<size_t>(bytes), nullptr, nullptr, &out) != napi_ok)
      throw std::runtime_error("could not create an external ArrayBuffer");
    return out;
  });
}

napi_value allocStats(napi_env env, napi_callback_info info) {
  return call(env, info, "allocStats", 0, [&](const Args&) {
    auto s = neox::alloc_stats();
    napi_value obj;
    napi_create_object(env, &obj);
    napi_set_named_property(env, obj, "liveBytes", neox::napi::number(env, static_cast<double>(s.live_bytes)));
    napi_set_named_property(env, obj, "totalBytes", neox::napi::number(env, static_cast<double>(s.total_bytes)));
    napi_set_named_property(env, obj, "calls", neox::napi::number(env, static_cast<double>(s.calls)));
    napi_set_named_property(env, obj, "liveCount", neox::napi::number(env, static_cast<double>(s.live_count)));
    return obj;
  });
}

// (address, bytes) -> the bytes of the whole pages inside the range that are resident in memory
// (mincore). Memory a buffer has not touched yet, or gave back (MADV_DONTNEED), is not.
napi_value residentBytes(napi_env env, napi_callback_info info) {
  return call(env, info, "residentBytes", 2, [&](const Args& a) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t lo = (reinterpret_cast<uintptr_t>(a.ptr<void>(0)) + page - 1) & ~(page - 1);
    const uintptr_t hi = (reinterpret_cast<uintptr_t>(a.ptr<void>(0)) + static_cast<uintptr_t>(a.size(1))) & ~(page - 1);
    if (hi <= lo) return neox::napi::number(env, 0);
    std::vector<unsigned char> vec((hi - lo) / page);
    if (mincore(reinterpret_cast<void*>(lo), hi - lo, vec.data()) != 0)
      throw std::runtime_error("residentBytes: mincore failed on that range (is it allocated memory?)");
    double resident = 0;
    for (unsigned char v : vec) resident += (v & 1) ? static_cast<double>(page) : 0;
    return neox::napi::number(env, resident);
  });
}

NEOX_REGISTER_RUNTIME("alloc", alloc);
NEOX_REGISTER_RUNTIME("residentBytes", residentBytes);
NEOX_REGISTER_RUNTIME("free", free_);
NEOX_REGISTER_RUNTIME("view", view);
NEOX_REGISTER_RUNTIME("allocStats", allocStats);

}  // namespace
