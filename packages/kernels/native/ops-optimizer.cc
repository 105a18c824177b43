// Node-API glue for the multi-tensor optimizer ops: AdamW, Lion, SGD, the planned step's gradient
// preparation (norm, clipping coefficient, NaN/Inf flag), global L2 norm, clipping, scaling.
// Tensors are passed as parallel JS arrays of addresses and element counts.
#include "cpu/adamw.h"
#include "cpu/global-norm.h"
#include "cpu/lion.h"
#include "cpu/sgd.h"
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

// The optimizer kernels read lr, t, grad_scale and found_inf from the step-scalars buffer
// (kernels/cpu/step-scalars.h), passed as one address: nothing that changes per step is a host
// argument, so a recorded step replays with whatever the host wrote into that buffer.
float* scalars_at(const Args& a, size_t i) { return neox::napi::required<float>(a, i, "scalars"); }

// Parallel lists of n tensor addresses, plus sizes and per-tensor weight decays.
struct TensorLists {
  std::vector<std::vector<double>> addresses;
  std::vector<double> sizes;
  std::vector<double> weight_decays;
};

TensorLists tensor_lists(const Args& a, std::initializer_list<const char*> names) {
  TensorLists out;
  int64_t n = -1;
  size_t i = 0;
  for (const char* name : names) {
    out.addresses.push_back(number_array(a, i++, name, n));
    n = static_cast<int64_t>(out.addresses.front().size());
  }
  out.sizes = number_array(a, i++, "sizes", n);
  out.weight_decays = number_array(a, i, "weightDecays", n);
  return out;
}

napi_value adamwStep(napi_env env, napi_callback_info info) {
  return call(env, info, "adamwStep", 10, [&](const Args& a) {
    TensorLists l = tensor_lists(a, {"params", "grads", "m", "v"});
    std::vector<neox::AdamWTensor> ts(l.sizes.size());
    for (size_t k = 0; k < ts.size(); ++k) {
      ts[k] = {address_of<float>(a, 0, l.addresses[0][k], k), address_of<const float>(a, 1, l.addresses[1][k], k),
               address_of<float>(a, 2, l.addresses[2][k], k), address_of<float>(a, 3, l.addresses[3][k], k),
               size_of(a, 4, l.sizes[k], k),                   l.weight_decays[k]};
    }
    neox::adamw_step(ts.data(), static_cast<int64_t>(ts.size()), a.f64(6), a.f64(7), a.f32(8), scalars_at(a, 9));
  });
}

napi_value lionStep(napi_env env, napi_callback_info info) {
  return call(env, info, "lionStep", 8, [&](const Args& a) {
    TensorLists l = tensor_lists(a, {"params", "grads", "m"});
    std::vector<neox::LionTensor> ts(l.sizes.size());
    for (size_t k = 0; k < ts.size(); ++k) {
      ts[k] = {address_of<float>(a, 0, l.addresses[0][k], k), address_of<const float>(a, 1, l.addresses[1][k], k),
               address_of<float>(a, 2, l.addresses[2][k], k), size_of(a, 3, l.sizes[k], k),
               l.weight_decays[k]};
    }
    neox::lion_step(ts.data(), static_cast<int64_t>(ts.size()), a.f64(5), a.f64(6), scalars_at(a, 7));
  });
}

// Momentum buffers: one per tensor, or none at all when momentum is 0 (plain SGD keeps no state).
napi_value sgdStep(napi_env env, napi_callback_info info) {
  return call(env, info, "sgdStep", 9, [&](const Args& a) {
    std::vector<double> params = number_array(a, 0, "params");
    int64_t n = static_cast<int64_t>(params.size());
    std::vector<double> grads = number_array(a, 1, "grads", n);
    double momentum = a.f64(5);
    std::vector<double> bufs = number_array(a, 2, "momentumBuffers", momentum != 0.0 ? n : 0);
    std::vector<double> sizes = number_array(a, 3, "sizes", n);
    std::vector<double> wds = number_array(a, 4, "weightDecays", n);
    std::vector<neox::SgdTensor> ts(params.size());
    for (size_t k = 0; k < ts.size(); ++k) {
      ts[k] = {address_of<float>(a, 0, params[k], k), address_of<const float>(a, 1, grads[k], k),
               bufs.empty() ? nullptr : address_of<float>(a, 2, bufs[k], k), size_of(a, 3, sizes[k], k),
               wds[k]};
    }
    neox::sgd_step(ts.data(), n, momentum, a.f64(6), a.flag(7), scalars_at(a, 8));
  });
}

napi_value prepareGrads(napi_env env, napi_callback_info info) {
  return call(env, info, "prepareGrads", 3, [&](const Args& a) {
    std::vector<neox::TensorRef> ts = tensor_refs(a, 0, 1);
    neox::prepare_grads(ts.data(), static_cast<int64_t>(ts.size()), scalars_at(a, 2));
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
NEOX_REGISTER("lionStep", lionStep);
NEOX_REGISTER("sgdStep", sgdStep);
NEOX_REGISTER("prepareGrads", prepareGrads);
NEOX_REGISTER("globalL2Norm", globalL2Norm);
NEOX_REGISTER("clipGradNorm", clipGradNorm);
NEOX_REGISTER("scaleTensors", scaleTensors);

}  // namespace
