// The machine's measured arithmetic peak: enough independent FMA (or bf16 dot-product) chains to
// fill every FMA pipe, run on N threads for a fixed time. Benchmarks divide by this figure, measured
// in the same run, rather than by a datasheet number (shared machines vary; see
// shared perf anchors: 117 GFLOP/s fp32 and 235 bf16 per AMD Zen 4 core).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {

enum class PeakKind { F32 = 0, Bf16 = 1 };

NEOX_DECLARE_FOR_ALL_ISAS(
    // Runs `iters` rounds of the fp32 FMA chains (AVX-512: 16 × 16 lanes, AVX2: 12 × 8, scalar:
    // 8 multiply-adds) and returns the FLOPs done (an FMA counts 2). The chains' sum goes to *sink
    // so the compiler cannot drop them.
    double fma_f32_burst(int64_t iters, float* sink);
    // The same with vdpbf16ps (each lane: 2 bf16 products added to an fp32 accumulator, 4 FLOPs);
    // returns 0 on copies without AVX512_BF16 (only the AVX-512 copy has it, see runtime.h).
    double dot_bf16_burst(int64_t iters, float* sink);)

// True when the active ISA runs the bf16 dot-product burst (the AVX-512 path, which requires
// AVX512_BF16).
bool peak_has_bf16();

// GFLOP/s of `threads` threads each running the burst of `kind` for about `seconds` on the active
// ISA: total FLOPs over the slowest thread's time, all started together. Throws
// std::invalid_argument for threads < 1 or seconds <= 0, std::runtime_error for Bf16 without
// AVX512_BF16.
double peak_gflops(PeakKind kind, int threads, double seconds);

}  // namespace neox
