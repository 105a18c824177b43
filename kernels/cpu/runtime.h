// Runtime shared by every CPU kernel: ISA choice, the thread pool and counted aligned memory.
// No Node headers here; the Node-API glue lives in packages/kernels/native.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace neox {

// The code path kernels take. Avx512 means AVX-512 F/BW/VL/DQ + BF16 (+FMA, F16C), the set the
// `*-avx512.cc` files are compiled for; Avx2 means AVX2 + FMA + F16C.
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Reads NEOX_ISA (avx512|avx2|scalar) and NEOX_NUM_THREADS; throws std::runtime_error naming the
// variable and what was expected when a value is unusable. Idempotent. Kernels need not call it:
// active_isa() and num_threads() initialise lazily (ignoring bad values), the addon calls it at
// load so bad values fail loudly.
void init_runtime();

Isa active_isa();
// Throws std::runtime_error when this CPU cannot run `isa`.
void set_isa(Isa isa);
bool isa_supported(Isa isa);
// The ISAs this CPU runs, best first (always ends with Scalar).
std::vector<Isa> supported_isas();
const char* isa_name(Isa isa);
// Parses "avx512" | "avx2" | "scalar" (case-insensitive); false when unknown.
bool parse_isa(const char* name, Isa* out);

// Threads used by parallel_for (the caller counts as one). Default: NEOX_NUM_THREADS, else the
// hardware threads.
int num_threads();
// Resizes the pool; must not be called while a parallel_for is running. Throws when n < 1.
void set_num_threads(int n);

// Splits [0, n) into at most num_threads() contiguous ranges whose sizes are multiples of `grain`
// (except the last) and runs fn(begin, end) on each, on our persistent pool; returns when all are
// done and rethrows the first exception. Calls from inside a running parallel_for (a worker or the
// calling thread) run inline, so kernels may nest freely.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);
// True while the current thread is executing a parallel_for range.
bool in_parallel_region();

// 64-byte aligned memory with process-wide counters. free_counted(nullptr) is a no-op; freeing a
// pointer not from aligned_alloc_counted (or twice) throws std::invalid_argument when detected.
void* aligned_alloc_counted(size_t bytes);
void free_counted(void* p);
// Size requested for a live pointer from aligned_alloc_counted (throws as free_counted does).
size_t allocation_size(const void* p);

struct AllocStats {
  uint64_t live_bytes;   // requested bytes currently allocated
  uint64_t total_bytes;  // requested bytes over the process lifetime
  uint64_t calls;        // aligned_alloc_counted calls over the process lifetime
  uint64_t live_count;   // allocations not yet freed
};
AllocStats alloc_stats();

}  // namespace neox
