// Streams and events of the GPU library. Handles cross to JS as numbers (the cudaStream_t /
// cudaEvent_t pointer values); stream 0 is the legacy default stream.
// JS: gpuStreamCreate() -> stream; gpuStreamDestroy(s); gpuStreamSynchronize(s);
// gpuStreamWaitEvent(s, e); gpuEventCreate(timing) -> event; gpuEventDestroy(e);
// gpuEventRecord(e, s); gpuEventSynchronize(e); gpuEventElapsedMs(start, end) -> ms.
#include "gpu-library.h"
#include "registry.h"

namespace neox::napi {

namespace {

napi_value gpuStreamCreate(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuStreamCreate", 0, [&](const Args&) {
    void* s = nullptr;
    gpu_check(gpu().stream_create(&s), "gpuStreamCreate");
    return address(env, s);
  });
}

napi_value gpuStreamDestroy(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuStreamDestroy", 1,
              [&](const Args& a) { gpu_check(gpu().stream_destroy(a.ptr<void>(0)), "gpuStreamDestroy"); });
}

napi_value gpuStreamSynchronize(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuStreamSynchronize", 1,
              [&](const Args& a) { gpu_check(gpu().stream_synchronize(a.ptr<void>(0)), "gpuStreamSynchronize"); });
}

napi_value gpuStreamWaitEvent(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuStreamWaitEvent", 2, [&](const Args& a) {
    gpu_check(gpu().stream_wait_event(a.ptr<void>(0), a.ptr<void>(1)), "gpuStreamWaitEvent");
  });
}

napi_value gpuEventCreate(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuEventCreate", 0, [&](const Args& a) {
    bool timing = a.argc > 0 && a.flag(0);
    void* e = nullptr;
    gpu_check(gpu().event_create(&e, timing ? 1 : 0), "gpuEventCreate");
    return address(env, e);
  });
}

napi_value gpuEventDestroy(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuEventDestroy", 1,
              [&](const Args& a) { gpu_check(gpu().event_destroy(a.ptr<void>(0)), "gpuEventDestroy"); });
}

napi_value gpuEventRecord(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuEventRecord", 1, [&](const Args& a) {
    void* stream = a.argc > 1 ? a.ptr<void>(1) : nullptr;
    gpu_check(gpu().event_record(a.ptr<void>(0), stream), "gpuEventRecord");
  });
}

napi_value gpuEventSynchronize(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuEventSynchronize", 1,
              [&](const Args& a) { gpu_check(gpu().event_synchronize(a.ptr<void>(0)), "gpuEventSynchronize"); });
}

napi_value gpuEventElapsedMs(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuEventElapsedMs", 2, [&](const Args& a) {
    float ms = 0;
    gpu_check(gpu().event_elapsed_ms(&ms, a.ptr<void>(0), a.ptr<void>(1)), "gpuEventElapsedMs");
    return number(env, ms);
  });
}

NEOX_REGISTER_RUNTIME("gpuStreamCreate", gpuStreamCreate);
NEOX_REGISTER_RUNTIME("gpuStreamDestroy", gpuStreamDestroy);
NEOX_REGISTER_RUNTIME("gpuStreamSynchronize", gpuStreamSynchronize);
NEOX_REGISTER_RUNTIME("gpuStreamWaitEvent", gpuStreamWaitEvent);
NEOX_REGISTER_RUNTIME("gpuEventCreate", gpuEventCreate);
NEOX_REGISTER_RUNTIME("gpuEventDestroy", gpuEventDestroy);
NEOX_REGISTER_RUNTIME("gpuEventRecord", gpuEventRecord);
NEOX_REGISTER_RUNTIME("gpuEventSynchronize", gpuEventSynchronize);
NEOX_REGISTER_RUNTIME("gpuEventElapsedMs", gpuEventElapsedMs);

}  // namespace

}  // namespace neox::napi
