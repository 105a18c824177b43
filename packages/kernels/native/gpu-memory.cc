// Device memory through the GPU library's caching allocator, and host <-> device copies.
// JS: gpuMalloc(bytes, stream) -> address; gpuFree(address); gpuEmptyCache(); gpuAllocStats(device);
// gpuResetPeakStats(device); gpuWrite(dst, Uint8Array) and gpuRead(src, Uint8Array) (host memory,
// complete on return); gpuCopy(dst, src, bytes, stream) and gpuMemset(dst, byte, bytes, stream)
// (device memory, queued). Addresses and streams are JS numbers; stream 0 is the default stream.
#include "gpu-library.h"
#include "registry.h"

namespace neox::napi {

namespace {

// The bytes of a Uint8Array argument (gpuWrite/gpuRead take only Uint8Array: the TypeScript side
// wraps any ArrayBufferView as one, so the byte count is never ambiguous).
struct HostBytes {
  void* data;
  size_t bytes;
};
HostBytes host_bytes(const Args& a, size_t i) {
  bool is_typed = false;
  if (i >= a.argc || napi_is_typedarray(a.env, a.argv[i], &is_typed) != napi_ok || !is_typed)
    a.fail(i, "must be a Uint8Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  napi_get_typedarray_info(a.env, a.argv[i], &type, &length, &data, &buffer, &offset);
  if (type != napi_uint8_array) a.fail(i, "must be a Uint8Array");
  return HostBytes{data, length};
}

void* stream_arg(const Args& a, size_t i) { return i < a.argc ? a.ptr<void>(i) : nullptr; }

napi_value gpuMalloc(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuMalloc", 1, [&](const Args& a) {
    void* p = nullptr;
    gpu_check(gpu().malloc(&p, static_cast<size_t>(a.size(0)), stream_arg(a, 1)), "gpuMalloc");
    return address(env, p);
  });
}

napi_value gpuFree(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuFree", 1, [&](const Args& a) { gpu_check(gpu().free(a.ptr<void>(0)), "gpuFree"); });
}

napi_value gpuEmptyCache(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuEmptyCache", 0, [&](const Args&) { gpu_check(gpu().empty_cache(), "gpuEmptyCache"); });
}

napi_value gpuAllocStats(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuAllocStats", 1, [&](const Args& a) {
    NeoxGpuAllocStats s;
    gpu_check(gpu().alloc_stats(static_cast<int>(a.size(0)), &s), "gpuAllocStats");
    napi_value o;
    napi_create_object(env, &o);
    auto put = [&](const char* key, uint64_t v) { napi_set_named_property(env, o, key, number(env, double(v))); };
    put("allocatedBytes", s.allocated_bytes);
    put("reservedBytes", s.reserved_bytes);
    put("peakAllocatedBytes", s.peak_allocated_bytes);
    put("peakReservedBytes", s.peak_reserved_bytes);
    put("requests", s.requests);
    put("totalBytes", s.total_bytes);
    put("deviceAllocs", s.raw_allocs);
    put("deviceFrees", s.raw_frees);
    put("retries", s.retries);
    put("liveBlocks", s.live_blocks);
    put("cachedBlocks", s.cached_blocks);
    return o;
  });
}

napi_value gpuResetPeakStats(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuResetPeakStats", 1, [&](const Args& a) {
    gpu_check(gpu().reset_peak_stats(static_cast<int>(a.size(0))), "gpuResetPeakStats");
  });
}

napi_value gpuWrite(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuWrite", 2, [&](const Args& a) {
    HostBytes h = host_bytes(a, 1);
    gpu_check(gpu().memcpy(a.ptr<void>(0), h.data, h.bytes, NEOX_GPU_HOST_TO_DEVICE), "gpuWrite");
  });
}

napi_value gpuRead(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuRead", 2, [&](const Args& a) {
    HostBytes h = host_bytes(a, 1);
    gpu_check(gpu().memcpy(h.data, a.ptr<void>(0), h.bytes, NEOX_GPU_DEVICE_TO_HOST), "gpuRead");
  });
}

napi_value gpuCopy(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuCopy", 3, [&](const Args& a) {
    gpu_check(gpu().memcpy_async(a.ptr<void>(0), a.ptr<void>(1), static_cast<size_t>(a.size(2)),
                                 NEOX_GPU_DEVICE_TO_DEVICE, stream_arg(a, 3)),
              "gpuCopy");
  });
}

napi_value gpuMemset(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuMemset", 3, [&](const Args& a) {
    int64_t value = a.i64(1);
    if (value < 0 || value > 255) a.fail(1, "must be a byte value 0..255, got " + std::to_string(value));
    gpu_check(gpu().memset_async(a.ptr<void>(0), static_cast<int>(value), static_cast<size_t>(a.size(2)),
                                 stream_arg(a, 3)),
              "gpuMemset");
  });
}

NEOX_REGISTER_RUNTIME("gpuMalloc", gpuMalloc);
NEOX_REGISTER_RUNTIME("gpuFree", gpuFree);
NEOX_REGISTER_RUNTIME("gpuEmptyCache", gpuEmptyCache);
NEOX_REGISTER_RUNTIME("gpuAllocStats", gpuAllocStats);
NEOX_REGISTER_RUNTIME("gpuResetPeakStats", gpuResetPeakStats);
NEOX_REGISTER_RUNTIME("gpuWrite", gpuWrite);
NEOX_REGISTER_RUNTIME("gpuRead", gpuRead);
NEOX_REGISTER_RUNTIME("gpuCopy", gpuCopy);
NEOX_REGISTER_RUNTIME("gpuMemset", gpuMemset);

}  // namespace

}  // namespace neox::napi
