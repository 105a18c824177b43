// The GPU library's op kernels (kernels/gpu/ops.h) by name:
//   gpuLaunch(name, stream, args)  queues op `name` on `stream`; args is an array of numbers,
//                                  booleans and arrays of numbers, in the op's CPU argument order
//   gpuOps()                       every op's signature, "name(arg:kind,...)" (api.h op_signature)
// One entry for every op: the library checks each launch against the op's signature and names the
// op and argument on error, so this glue only converts JavaScript values.
#include <string>
#include <vector>

#include "gpu-library.h"
#include "registry.h"

namespace neox::napi {

namespace {

napi_value gpuLaunch(napi_env env, napi_callback_info info) {
  return call(env, info, "gpuLaunch", 3, [&](const Args& a) {
    std::string name = a.str(0);
    void* stream = a.ptr<void>(1);
    napi_value list = a.argv[2];
    bool is_array = false;
    if (napi_is_array(env, list, &is_array) != napi_ok || !is_array) a.fail(2, "(args) must be an array");
    uint32_t n = 0;
    napi_get_array_length(env, list, &n);
    std::vector<NeoxGpuArg> args(n);
    // Lists keep their storage here until the launch returns.
    std::vector<std::vector<double>> lists;
    lists.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      napi_value el;
      napi_get_element(env, list, i, &el);
      napi_valuetype t;
      napi_typeof(env, el, &t);
      NeoxGpuArg& arg = args[i];
      arg = NeoxGpuArg{0, nullptr, 0};
      bool el_array = false;
      napi_is_array(env, el, &el_array);
      if (t == napi_number) {
        napi_get_value_double(env, el, &arg.value);
      } else if (t == napi_boolean) {
        bool b = false;
        napi_get_value_bool(env, el, &b);
        arg.value = b ? 1 : 0;
      } else if (t == napi_null) {
        arg.value = 0;  // an optional address left out
      } else if (el_array) {
        uint32_t len = 0;
        napi_get_array_length(env, el, &len);
        lists.emplace_back(len);
        for (uint32_t k = 0; k < len; ++k) {
          napi_value v;
          napi_get_element(env, el, k, &v);
          if (napi_get_value_double(env, v, &lists.back()[k]) != napi_ok)
            a.fail(2, "(" + name + " argument " + std::to_string(i) + ") entry " + std::to_string(k) +
                          " is not a number");
        }
        arg.list = lists.back().data();
        arg.count = len;
        // An empty list is still a list (the library tells lists from numbers by a non-null pointer).
        static const double kEmpty = 0;
        if (len == 0) arg.list = &kEmpty;
      } else {
        a.fail(2, "(" + name + " argument " + std::to_string(i) + ") must be a number, boolean or array of numbers");
      }
    }
    gpu_check(gpu().op_launch(name.c_str(), args.data(), static_cast<int>(n), stream), "gpuLaunch");
  });
}

napi_value gpuOps(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_create_array(env, &out);
  try {
    const NeoxGpuApi& api = gpu();
    int n = api.op_count();
    for (int i = 0; i < n; ++i) {
      napi_value s;
      const char* sig = api.op_signature(i);
      napi_create_string_utf8(env, sig ? sig : "", NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, out, static_cast<uint32_t>(i), s);
    }
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("gpuOps: ") + e.what()).c_str());
    return nullptr;
  }
  return out;
}

NEOX_REGISTER_RUNTIME("gpuLaunch", gpuLaunch);
NEOX_REGISTER_RUNTIME("gpuOps", gpuOps);

}  // namespace

}  // namespace neox::napi
