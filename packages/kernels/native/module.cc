// Module init: validates the runtime environment (NEOX_ISA, NEOX_NUM_THREADS), exports every
// function registered with NEOX_REGISTER / NEOX_REGISTER_RUNTIME, plus the runtime queries below.
#include <string>

#include "cpu/runtime.h"
#include "registry.h"

namespace {

using neox::napi::Args;
using neox::napi::call;

napi_value isa(napi_env env, napi_callback_info info) {
  return call(env, info, "isa", 0, [&](const Args&) { return neox::napi::string(env, neox::isa_name(neox::active_isa())); });
}

napi_value setIsa(napi_env env, napi_callback_info info) {
  return call(env, info, "setIsa", 1, [&](const Args& a) {
    std::string name = a.str(0);
    neox::Isa want;
    if (!neox::parse_isa(name.c_str(), &want)) a.fail(0, "must be avx512, avx2 or scalar, got \"" + name + "\"");
    neox::set_isa(want);
  });
}

napi_value supportedIsas(napi_env env, napi_callback_info info) {
  return call(env, info, "supportedIsas", 0, [&](const Args&) {
    auto list = neox::supported_isas();
    napi_value arr;
    napi_create_array_with_length(env, list.size(), &arr);
    for (size_t i = 0; i < list.size(); ++i)
      napi_set_element(env, arr, static_cast<uint32_t>(i), neox::napi::string(env, neox::isa_name(list[i])));
    return arr;
  });
}

napi_value numThreads(napi_env env, napi_callback_info info) {
  return call(env, info, "numThreads", 0, [&](const Args&) { return neox::napi::number(env, neox::num_threads()); });
}

napi_value setNumThreads(napi_env env, napi_callback_info info) {
  return call(env, info, "setNumThreads", 1, [&](const Args& a) {
    int64_t n = a.i64(0);
    if (n < 1 || n > 4096) a.fail(0, "must be a thread count from 1 to 4096, got " + std::to_string(n));
    neox::set_num_threads(static_cast<int>(n));
  });
}

napi_value ops(napi_env env, napi_callback_info info) {
  return call(env, info, "ops", 0, [&](const Args&) {
    napi_value arr;
    napi_create_array(env, &arr);
    uint32_t k = 0;
    for (const auto& e : neox::napi::registry())
      if (e.is_op) napi_set_element(env, arr, k++, neox::napi::string(env, e.name));
    return arr;
  });
}

NEOX_REGISTER_RUNTIME("isa", isa);
NEOX_REGISTER_RUNTIME("setIsa", setIsa);
NEOX_REGISTER_RUNTIME("supportedIsas", supportedIsas);
NEOX_REGISTER_RUNTIME("numThreads", numThreads);
NEOX_REGISTER_RUNTIME("setNumThreads", setNumThreads);
NEOX_REGISTER_RUNTIME("ops", ops);

}  // namespace

NAPI_MODULE_INIT() {
  try {
    neox::init_runtime();
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  std::vector<napi_property_descriptor> props;
  for (const auto& e : neox::napi::registry()) {
    for (const auto& p : props) {
      if (std::string(p.utf8name) == e.name) {
        napi_throw_error(env, nullptr, (std::string("neox_kernels: native function registered twice: ") + e.name).c_str());
        return nullptr;
      }
    }
    props.push_back(napi_property_descriptor{e.name, nullptr, e.fn, nullptr, nullptr, nullptr, napi_enumerable, nullptr});
  }
  if (napi_define_properties(env, exports, props.size(), props.data()) != napi_ok) return nullptr;
  return exports;
}
