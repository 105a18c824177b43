// The op registry (ops.h): every group's OpSpec table in one list, the signature check each launch
// goes through, and api.h's op_count / op_signature / op_launch.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "gpu/device-memory.h"
#include "gpu/ops.h"
#include "gpu/runtime.h"

namespace neox::gpu {

namespace {

struct Param {
  std::string name;
  char kind;
};

struct Entry {
  const OpSpec* spec;
  std::vector<Param> params;
  std::string signature;  // "name(arg:kind,...)"
};

// "out:p,inp:p,n:s" -> params. A malformed signature is a bug in this library: it aborts loudly
// at the first op_* call rather than checking launches against a wrong list.
std::vector<Param> parse(const OpSpec& spec) {
  std::vector<Param> out;
  std::string s = spec.signature;
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(at, comma - at);
    size_t colon = item.find(':');
    if (colon == std::string::npos || colon + 2 != item.size() ||
        std::string("posifbl").find(item[colon + 1]) == std::string::npos) {
      fprintf(stderr, "neox gpu: op %s has a malformed signature item \"%s\"\n", spec.name, item.c_str());
      abort();
    }
    out.push_back({item.substr(0, colon), item[colon + 1]});
    at = comma + 1;
  }
  return out;
}

const std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  static std::once_flag once;
  std::call_once(once, [] {
    for (auto group : {gemm_ops, pointwise_ops, norm_ops, loss_ops, optimizer_ops, attention_ops}) {
      int n = 0;
      const OpSpec* specs = group(&n);
      for (int i = 0; i < n; ++i) {
        Entry e{&specs[i], parse(specs[i]), std::string(specs[i].name) + "(" + specs[i].signature + ")"};
        entries.push_back(std::move(e));
      }
    }
  });
  return entries;
}

std::string str(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool is_integer(double v) { return std::isfinite(v) && std::floor(v) == v && std::fabs(v) <= 9007199254740992.0; }

// "" when argument i fits its parameter, else what is wrong with it.
std::string check_arg(const Param& p, const NeoxGpuArg& a) {
  if (p.kind == 'l') return a.list != nullptr ? "" : "must be a list of numbers";
  if (a.list != nullptr) return "must be a number, got a list";
  const double v = a.value;
  switch (p.kind) {
    case 'p':
      if (!(v > 0) || !is_integer(v)) return "must be a non-null device address, got " + str(v);
      return "";
    case 'o':
    case 's':
      if (!(v >= 0) || !is_integer(v))
        return std::string(p.kind == 'o' ? "must be a device address or 0" : "must be an integer >= 0") +
               ", got " + str(v);
      return "";
    case 'i':
      return is_integer(v) ? "" : "must be an integer, got " + str(v);
    case 'b':
      return v == 0 || v == 1 ? "" : "must be a flag (0 or 1), got " + str(v);
    default:  // 'f': any number; NaN passes (a NaN learning rate is the caller's to refuse)
      return "";
  }
}

}  // namespace

int OpArgs::invalid(const std::string& message) const {
  return fail(NEOX_GPU_INVALID_ARGUMENT, std::string(op) + ": " + message);
}

Scratch::~Scratch() {
  if (ptr_ != nullptr) device_free(ptr_);
}

int Scratch::allocate(const OpArgs& a, size_t bytes, cudaStream_t stream) {
  int st = device_malloc(&ptr_, bytes < 1 ? 1 : bytes, stream);
  if (st != 0) {
    ptr_ = nullptr;
    return fail(st, std::string(a.op) + ": scratch of " + std::to_string(bytes) + " bytes: " + last_error());
  }
  return 0;
}

int OpArgs::counters_ok(int i, int count) const {
  for (int k = i; k < i + count; ++k)
    if (!(args[k].value >= 0) || !is_integer(args[k].value))
      return invalid("argument " + std::to_string(k) + " must be a non-negative integer (seed or offset), got " +
                     str(args[k].value));
  return 0;
}

int launched(const OpArgs& a) { return cuda_check(cudaGetLastError(), a.op); }

int op_count() { return static_cast<int>(registry().size()); }

const char* op_signature(int index) {
  const auto& r = registry();
  if (index < 0 || index >= static_cast<int>(r.size())) return nullptr;
  return r[static_cast<size_t>(index)].signature.c_str();
}

int op_launch(const char* name, const NeoxGpuArg* args, int nargs, void* stream) {
  if (name == nullptr) return fail(NEOX_GPU_INVALID_ARGUMENT, "op_launch: no op name");
  for (const Entry& e : registry()) {
    if (std::strcmp(e.spec->name, name) != 0) continue;
    if (nargs != static_cast<int>(e.params.size()))
      return fail(NEOX_GPU_INVALID_ARGUMENT, std::string(name) + ": expected " + std::to_string(e.params.size()) +
                                                 " arguments (" + e.spec->signature + "), got " +
                                                 std::to_string(nargs));
    for (int i = 0; i < nargs; ++i) {
      std::string why = check_arg(e.params[static_cast<size_t>(i)], args[i]);
      if (!why.empty())
        return fail(NEOX_GPU_INVALID_ARGUMENT, std::string(name) + ": argument " + std::to_string(i) + " (" +
                                                   e.params[static_cast<size_t>(i)].name + ") " + why);
    }
    return e.spec->fn(OpArgs{name, args, nargs}, static_cast<cudaStream_t>(stream));
  }
  return fail(NEOX_GPU_INVALID_ARGUMENT, std::string("no GPU op \"") + name + "\" in this library");
}

}  // namespace neox::gpu
