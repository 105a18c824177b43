// Measured peak FLOP rates: fp32 FMA chains and bf16 dot-product chains on N threads.
//
// Why 16 chains (12 on AVX2): Zen 4 retires one 512-bit FMA (two 256-bit halves) or two 256-bit
// FMAs per cycle with a latency of 4 cycles, so 8 independent accumulators already hide the
// latency; 16 leaves margin for cores with more pipes or longer latency (vdpbf16ps is 6 cycles on
// Zen 4). AVX2 has only 16 vector registers: 16 accumulators plus the two operands spill to the
// stack and halved the measured rate, so its copy keeps 12.
// Each chain computes acc = acc·a + b with a just below 1, so it converges to b/(1-a) and never
// overflows or goes subnormal however long it runs.
#include "peak.h"

#include "vec.h"

namespace neox {
namespace NEOX_VEC_NS {

#if defined(__AVX512F__) || !defined(__AVX2__)
constexpr int kChains = 16;
#else
constexpr int kChains = 12;
#endif

#if defined(__AVX512F__)
double fma_f32_burst(int64_t iters, float* sink) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
  for (int64_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm512_add_ps(s, acc[c]);
  *sink += _mm512_reduce_add_ps(s);
  return static_cast<double>(iters) * kChains * 16 * 2;
}

// vdpbf16ps: acc[l] += a[2l]·b[2l] + a[2l+1]·b[2l+1], 32 products and 32 additions per vector.
double dot_bf16_burst(int64_t iters, float* sink) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  for (int64_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm512_add_ps(s, acc[c]);
  *sink += _mm512_reduce_add_ps(s);
  return static_cast<double>(iters) * kChains * 16 * 4;
}
#elif defined(__AVX2__)
double fma_f32_burst(int64_t iters, float* sink) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
  for (int64_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  __m256 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm256_add_ps(s, acc[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  for (float x : lanes) *sink += x;
  return static_cast<double>(iters) * kChains * 8 * 2;
}

double dot_bf16_burst(int64_t, float*) { return 0; }
#else
// Baseline x86-64 has no FMA instruction: a multiply and an add per chain (still 2 FLOPs).
double fma_f32_burst(int64_t iters, float* sink) {
  float acc[8];
  for (int c = 0; c < 8; c++) acc[c] = static_cast<float>(c);
  volatile float va = 0.999999f, vb = 1e-6f;  // volatile: keep the loop from being solved in closed form
  const float a = va, b = vb;
  for (int64_t i = 0; i < iters; i++) {
    for (int c = 0; c < 8; c++) acc[c] = acc[c] * a + b;
  }
  for (float x : acc) *sink += x;
  return static_cast<double>(iters) * 8 * 2;
}

double dot_bf16_burst(int64_t, float*) { return 0; }
#endif

}  // namespace NEOX_VEC_NS
}  // namespace neox

#ifndef NEOX_ISA_VARIANT
#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace neox {
double fma_f32_burst(int64_t iters, float* sink) { NEOX_DISPATCH(fma_f32_burst, iters, sink); }
double dot_bf16_burst(int64_t iters, float* sink) { NEOX_DISPATCH(dot_bf16_burst, iters, sink); }

bool peak_has_bf16() { return active_isa() == Isa::Avx512; }

// Rounds per clock check: about 65K × 16 vector instructions, a fraction of a millisecond, so the
// clock reads cost nothing and the run overshoots `seconds` by well under 1%.
constexpr int64_t kBurstRounds = 1 << 16;

double peak_gflops(PeakKind kind, int threads, double seconds) {
  if (threads < 1) throw std::invalid_argument("peak_gflops: threads must be >= 1, got " + std::to_string(threads));
  if (!(seconds > 0)) throw std::invalid_argument("peak_gflops: seconds must be > 0, got " + std::to_string(seconds));
  if (kind == PeakKind::Bf16 && !peak_has_bf16())
    throw std::runtime_error(std::string("peak_gflops: the bf16 peak needs AVX512_BF16 (vdpbf16ps); the active ISA is ") +
                             isa_name(active_isa()));
  using Clock = std::chrono::steady_clock;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> flops(threads, 0.0), secs(threads, 0.0);
  std::vector<float> sinks(threads, 0.0f);
  auto work = [&](int t) {
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    auto t0 = Clock::now();
    double done = 0, elapsed = 0;
    do {
      done += kind == PeakKind::F32 ? fma_f32_burst(kBurstRounds, &sinks[t]) : dot_bf16_burst(kBurstRounds, &sinks[t]);
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < seconds);
    flops[t] = done;
    secs[t] = elapsed;
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; t++) pool.emplace_back(work, t);
  while (ready.load() < threads - 1) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  work(0);
  for (auto& th : pool) th.join();
  double total = 0, slowest = 0;
  for (int t = 0; t < threads; t++) {
    total += flops[t];
    slowest = std::max(slowest, secs[t]);
  }
  // The sinks hold finite sums of converging chains; a non-finite one means the burst is wrong.
  for (float s : sinks)
    if (!(s == s)) throw std::runtime_error("peak_gflops: a burst produced NaN");
  return total / slowest / 1e9;
}
}  // namespace neox
#endif
