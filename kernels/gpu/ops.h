// The GPU op kernels behind api.h's op_launch: each op is an OpSpec (its name, its signature and a
// launcher), grouped by file (gemm.cu, pointwise-ops.cu, norm-ops.cu, loss-ops.cu,
// optimizer-ops.cu, attention-ops.cu) and collected by ops.cu. Names and argument lists are the
// CPU addon's (packages/tensor/src/kernels declares them), so the CUDA backend passes a kernel's
// arguments through unchanged.
//
// A signature is "name:kind,..." with the kinds of api.h (p address, o optional address, s size,
// i integer, f number, b flag, l list). ops.cu checks every launch against it before the launcher
// runs, so launchers read arguments without re-checking them; an error names the op, the argument
// and what was expected.
//
// None of these kernels has run on a GPU when this was written (the build machine has only nvcc):
// they are compiled, and checked on a device by packages/tensor/test/ops-parity.gpu.test.ts.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "gpu/api.h"

namespace neox::gpu {

// The launch arguments, already checked against the op's signature.
struct OpArgs {
  const char* op;
  const NeoxGpuArg* args;
  int n;

  double num(int i) const { return args[i].value; }
  template <class T>
  T* ptr(int i) const {
    return reinterpret_cast<T*>(static_cast<uintptr_t>(args[i].value));
  }
  int64_t size(int i) const { return static_cast<int64_t>(args[i].value); }
  float f32(int i) const { return static_cast<float>(args[i].value); }
  bool flag(int i) const { return args[i].value != 0; }
  // A seed or counter offset: a non-negative integer below 2^53 (check with counter_ok first).
  uint64_t u64(int i) const { return static_cast<uint64_t>(args[i].value); }
  // 0 when arguments i.. i+n-1 are non-negative integers (the dropout seed and offset, declared as
  // scalars so plans re-read them, but counters as the CPU reads them), else the error.
  int counters_ok(int i, int n) const;
  const double* list(int i) const { return args[i].list; }
  int64_t count(int i) const { return args[i].count; }
  // Records "<op>: <message>" as NEOX_GPU_INVALID_ARGUMENT and returns it.
  int invalid(const std::string& message) const;
};

using OpFn = int (*)(const OpArgs& a, cudaStream_t stream);

struct OpSpec {
  const char* name;
  const char* signature;
  OpFn fn;
};

// Each group's table; *count gets its length.
const OpSpec* gemm_ops(int* count);
const OpSpec* pointwise_ops(int* count);
const OpSpec* norm_ops(int* count);
const OpSpec* loss_ops(int* count);
const OpSpec* optimizer_ops(int* count);
const OpSpec* attention_ops(int* count);

// api.h's op_count, op_signature and op_launch.
int op_count();
const char* op_signature(int index);
int op_launch(const char* name, const NeoxGpuArg* args, int nargs, void* stream);

// Grid size for a grid-stride loop over `work` items with `threads` per block.
inline int grid_for(int64_t work, int threads = 256) {
  int64_t b = (work + threads - 1) / threads;
  return static_cast<int>(b < 1 ? 1 : (b > 65535 ? 65535 : b));
}

// Temporary device memory for one launch, from the caching allocator on the launch's stream and
// returned when it goes out of scope: a block is reused only by later work on the same stream,
// which runs after the kernels queued here, so freeing before they finish is safe.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch();
  // 0, or the allocator's status (recorded under the op's name).
  int allocate(const OpArgs& a, size_t bytes, cudaStream_t stream);
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

// The status of the launch just queued: 0, or the CUDA error recorded under the op's name.
int launched(const OpArgs& a);

}  // namespace neox::gpu
