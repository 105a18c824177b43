// Node-API glue for the multi-tensor optimizer ops: AdamW, global L2 norm, clipping, scaling.
// Tensors are passed as parallel JS arrays of addresses and element counts.
#include "cpu/adamw.h"
#include "cpu/global-norm.h"
#include "e1-args.h"

namespace {

using neox::napi::Args;
using neox::napi::call;
using neox::napi::number_array;

template <class T>
T* address_of(const Args& a, size_t i, double v, size_t k) {
  if (!(v > 0) || v != static_cast<double>(static_cast<uint64_t>(v)))
    a.fail(i, "entry " + std::to_string(k) + " must be a non-null address, got " + std::to_string(v));
  return reinterpret_cast<T*>(static_cast<uintptr_t>(v));
}

int64_t size_of(const Args& a, size_t i, double v, size_t k) {
  if (!(v >= 0) || v != static_cast<double>(static_cast<int64_t>(v)))
    a.fail(i, "entry " + std::to_string(k) + " must be a size >= 0, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

std::vector<neox::TensorRef> tensor_refs(const Args& a, size_t ptrs_at, size_t sizes_at) {
  std::vector<double> ptrs = number_array(a, ptrs_at, "addresses");
  std::vector<double> sizes = number_array(a, sizes_at, "sizes", static_cast<int64_t>(ptrs.size()));
  std::vector<neox::TensorRef> out(ptrs.size());
  for (size_t k = 0; k < ptrs.size(); ++k) {
    out[k] = {address_of<float>(a, ptrs_at, ptrs[k], k), size_of(a, sizes_at, sizes[k], k)};
  }
  return out;
}

napi_value adamwStep(napi_env env, napi_callback_info info) {
  return call(env, info, "adamwStep", 12, [&](const Args& a) {
    std::vector<double> params = number_array(a, 0, "params");
    int64_t n = static_cast<int64_t>(params.size());
    std::vector<double> grads = number_array(a, 1, "grads", n);
    std::vector<double> ms = number_array(a, 2, "m", n);
    std::vector<double> vs = number_array(a, 3, "v", n);
    std::vector<double> sizes = number_array(a, 4, "sizes", n);
    std::vector<double> wds = number_array(a, 5, "weightDecays", n);
    std::vector<neox::AdamWTensor> ts(params.size());
    for (size_t k = 0; k < params.size(); ++k) {
      ts[k] = {address_of<float>(a, 0, params[k], k), address_of<const float>(a, 1, grads[k], k),
               address_of<float>(a, 2, ms[k], k),     address_of<float>(a, 3, vs[k], k),
               size_of(a, 4, sizes[k], k),            static_cast<float>(wds[k])};
    }
    int64_t step = a.i64(10);
    if (step < 1) a.fail(10, "(step) must be >= 1 (AdamW counts steps from 1), got " + std::to_string(step));
    neox::adamw_step(ts.data(), n, a.f32(6), a.f32(7), a.f32(8), a.f32(9), step, a.f32(11));
  });
}

napi_value globalL2Norm(napi_env env, napi_callback_info info) {
  return call(env, info, "globalL2Norm", 2, [&](const Args& a) {
    std::vector<neox::TensorRef> ts = tensor_refs(a, 0, 1);
    return neox::napi::number(env, neox::global_l2_norm(ts.data(), static_cast<int64_t>(ts.size())));
  });
}

napi_value clipGradNorm(napi_env env, napi_callback_info info) {
  return call(env, info, "clipGradNorm", 3, [&](const Args& a) {
    std::vector<neox::TensorRef> ts = tensor_refs(a, 0, 1);
    double max_norm = a.f64(2);
    if (!(max_norm > 0)) a.fail(2, "(maxNorm) must be > 0, got " + std::to_string(max_norm));
    return neox::napi::number(env, neox::clip_grad_norm(ts.data(), static_cast<int64_t>(ts.size()), max_norm));
  });
}

napi_value scaleTensors(napi_env env, napi_callback_info info) {
  return call(env, info, "scaleTensors", 3, [&](const Args& a) {
    std::vector<neox::TensorRef> ts = tensor_refs(a, 0, 1);
    neox::scale_tensors(ts.data(), static_cast<int64_t>(ts.size()), a.f32(2));
  });
}

NEOX_REGISTER("adamwStep", adamwStep);
NEOX_REGISTER("globalL2Norm", globalL2Norm);
NEOX_REGISTER("clipGradNorm", clipGradNorm);
NEOX_REGISTER("scaleTensors", scaleTensors);

}  // namespace
