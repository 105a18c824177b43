// GEMM driver: argument checks, ISA dispatch, BLIS-style blocking and packing, thread partition,
// and the portable 4x8 micro-kernel. The AVX-512 / AVX2 micro-kernels live in gemm-avx512.cc and
// gemm-avx2.cc. Loop nest per thread (jc, pc, ic, jr, ir) after Goto & van de Geijn, "Anatomy of
// High-Performance Matrix Multiplication" (2008): a kc x nc panel of B is packed once and reused
// across all of M; an mc x kc block of A is packed and reused across the panel.
#include "gemm.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gemm-internal.h"
#include "runtime.h"

namespace neox {
namespace gemm_detail {
namespace {

// ---------------------------------------------------------------------------------------------
// Portable micro-kernel (4 x 8): plain loops the compiler vectorises for baseline x86-64.

constexpr int kScalarMr = 4, kScalarNr = 8;

void micro_scalar(int64_t kc, const void* ap, const void* bp, float* c, int64_t ldc, int m, int n, float alpha,
                  float beta, bool accumulate) {
  const float* a = static_cast<const float*>(ap);
  const float* b = static_cast<const float*>(bp);
  float acc[kScalarMr][kScalarNr] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int r = 0; r < kScalarMr; ++r) {
      float av = a[r];
      for (int j = 0; j < kScalarNr; ++j) acc[r][j] += av * b[j];
    }
    a += kScalarMr;
    b += kScalarNr;
  }
  // Unrolled with constant indices so acc can live in registers through the k loop.
#pragma GCC unroll 4
  for (int r = 0; r < kScalarMr; ++r) {
    if (r >= m) break;
    float* cr = c + r * ldc;
    for (int j = 0; j < n; ++j) {
      float v = alpha * acc[r][j];
      if (accumulate) cr[j] += v;
      else cr[j] = beta == 0.0f ? v : v + beta * cr[j];
    }
  }
}

const KernelSpec kScalarSpec = {"scalar-4x8", kScalarMr, kScalarNr, 256, 128, 2048, false, micro_scalar, nullptr};

// ---------------------------------------------------------------------------------------------
// Per-thread packing buffers, grown on demand and kept for the thread's lifetime (not counted in
// alloc_stats: they are workspace, not tensors).

struct Workspace {
  void* a = nullptr;
  size_t a_bytes = 0;
  void* b = nullptr;
  size_t b_bytes = 0;
  ~Workspace() {
    std::free(a);
    std::free(b);
  }
  static void* grow(void*& p, size_t& have, size_t want) {
    if (want <= have) return p;
    std::free(p);
    want = (want + 4095) / 4096 * 4096;
    p = std::aligned_alloc(64, want);
    if (!p) throw std::bad_alloc();
    have = want;
    return p;
  }
};
thread_local Workspace tl_ws;

// One thread's share: rows [i0, i1) and columns [j0, j1) of C, all of K.
void gemm_block(const KernelSpec& ks, const Problem& p, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const int64_t mr = ks.mr, nr = ks.nr;
  const int64_t kc_max = std::min(ks.kc, ks.bf16_pairs ? (p.K + 1) / 2 * 2 : p.K);
  const int64_t mc_max = std::min<int64_t>(ks.mc, (i1 - i0 + mr - 1) / mr * mr);
  const int64_t nc_max = std::min<int64_t>(ks.nc, (j1 - j0 + nr - 1) / nr * nr);
  // Packed steps per kc slice (pairs count half) times 4 bytes per packed element.
  const int64_t steps_max = ks.bf16_pairs ? kc_max / 2 : kc_max;
  void* abuf = Workspace::grow(tl_ws.a, tl_ws.a_bytes, static_cast<size_t>((mc_max + mr) * steps_max * 4));
  void* bbuf = Workspace::grow(tl_ws.b, tl_ws.b_bytes, static_cast<size_t>((nc_max + nr) * steps_max * 4));
  for (int64_t jc = j0; jc < j1; jc += ks.nc) {
    const int64_t nc = std::min(ks.nc, j1 - jc);
    for (int64_t pc = 0; pc < p.K; pc += ks.kc) {
      const int64_t kc = std::min(ks.kc, p.K - pc);
      const int64_t steps = ks.bf16_pairs ? (kc + 1) / 2 : kc;
      const bool accumulate = pc > 0;
      pack_b(ks, p, pc, jc, kc, nc, bbuf);
      for (int64_t ic = i0; ic < i1; ic += ks.mc) {
        const int64_t mc = std::min(ks.mc, i1 - ic);
        pack_a(ks, p, ic, pc, mc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int n = static_cast<int>(std::min(nr, nc - jr));
          const char* bstrip = static_cast<const char*>(bbuf) + jr * steps * 4;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int m = static_cast<int>(std::min(mr, mc - ir));
            const char* astrip = static_cast<const char*>(abuf) + ir * steps * 4;
            float* c = p.C + (ic + ir) * p.ldc + jc + jr;
            ks.micro(steps, astrip, bstrip, c, p.ldc, m, n, p.alpha, p.beta, accumulate);
          }
        }
      }
    }
  }
}

// C = beta * C for the degenerate cases (K == 0 or alpha == 0).
void scale_c(float* C, int64_t ldc, int64_t M, int64_t N, float beta) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) std::fill(c, c + N, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

// Splits C into tm x tn blocks for `threads` threads, minimising the packing each thread repeats.
void run(const KernelSpec& ks, const Problem& p, int64_t M, int64_t N, int threads) {
  if (M == 0 || N == 0) return;
  if (p.K == 0 || p.alpha == 0.0f) {
    scale_c(p.C, p.ldc, M, N, p.beta);
    return;
  }
#if NEOX_HAVE_X86_KERNELS
  if (M <= kSkinnyMaxM && active_isa() == Isa::Avx512) {
    // Few rows: no packing (B is read once either way). op(A) copied to contiguous fp32 rows.
    thread_local std::vector<float> rows;
    rows.resize(static_cast<size_t>(M * p.K));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < p.K; ++k) {
        const int64_t at = p.ta ? k * p.lda + i : i * p.lda + k;
        rows[i * p.K + k] = src_f32(p.A, p.src, at);
      }
    skinny_avx512(M, N, p.K, rows.data(), p.B, p.ldb, p.tb, p.src, ks.bf16_pairs, p.alpha, p.beta, p.C, p.ldc);
    return;
  }
#endif
  const int64_t mu = (M + ks.mr - 1) / ks.mr, nu = (N + ks.nr - 1) / ks.nr;  // units of tiles
  const double flops = 2.0 * M * N * p.K;
  if (threads > 1 && flops < 2.0 * 96 * 96 * 96) threads = 1;  // too small to pay for a wake-up
  if (threads <= 1 || in_parallel_region()) {
    gemm_block(ks, p, 0, M, 0, N);
    return;
  }
  int tm = 1, tn = threads;
  double best = -1;
  for (int d = 1; d <= threads; ++d) {
    if (threads % d) continue;
    int cm = d, cn = threads / d;
    if (cm > mu || cn > nu) continue;
    double rows = static_cast<double>((mu + cm - 1) / cm * ks.mr), cols = static_cast<double>((nu + cn - 1) / cn * ks.nr);
    double cost = rows * std::ceil(cols / ks.nc) + cols;  // A re-packs per B panel, plus B
    if (best < 0 || cost < best) best = cost, tm = cm, tn = cn;
  }
  if (best < 0) tm = 1, tn = 1;
  const int used = tm * tn;
  parallel_for(used, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      int64_t bi = t / tn, bj = t % tn;
      int64_t i0 = std::min(M, mu * bi / tm * ks.mr), i1 = std::min(M, mu * (bi + 1) / tm * ks.mr);
      int64_t j0 = std::min(N, nu * bj / tn * ks.nr), j1 = std::min(N, nu * (bj + 1) / tn * ks.nr);
      if (i0 < i1 && j0 < j1) gemm_block(ks, p, i0, i1, j0, j1);
    }
  });
}

const KernelSpec& f32_kernel() {
#if NEOX_HAVE_X86_KERNELS
  switch (active_isa()) {
    case Isa::Avx512:
      return *avx512_f32_kernel();
    case Isa::Avx2:
      return *avx2_f32_kernel();
    default:
      break;
  }
#endif
  return kScalarSpec;
}

// bf16 on AVX-512 can run on vdpbf16ps (two k per instruction) or be widened to fp32 while packing
// and run on the fp32 tile. Which is faster depends on the core: vdpbf16ps doubles the FMA rate on
// AMD Zen 4 but issues at half the FMA rate on Intel cores with two FMA units, where widening wins.
// "auto" times both micro-kernels once (about a millisecond, thread CPU time, best of rounds).
std::atomic<int> g_bf16_path{static_cast<int>(Bf16Path::Auto)};

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

#if NEOX_HAVE_X86_KERNELS
Bf16Path calibrate_bf16() {
  const KernelSpec& dot = *avx512_bf16_kernel();
  const KernelSpec& f32 = *avx512_f32_kernel();
  constexpr int64_t kK = 256;  // source k per call for both kernels (dot: 128 pair steps)
  std::vector<float> a(static_cast<size_t>(std::max(dot.mr, f32.mr)) * kK, 0.0f);
  std::vector<float> b(static_cast<size_t>(std::max(dot.nr, f32.nr)) * kK + 16, 0.0f);
  float* bb = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(b.data()) + 63) & ~uintptr_t(63));
  std::vector<float> c(static_cast<size_t>(dot.mr) * dot.nr, 0.0f);
  double t_dot = 1e30, t_f32 = 1e30;
  for (int round = 0; round < 5; ++round) {
    double t0 = thread_seconds();
    for (int i = 0; i < 32; ++i) dot.micro(kK / 2, a.data(), bb, c.data(), dot.nr, dot.mr, dot.nr, 1.0f, 0.0f, true);
    double t1 = thread_seconds();
    for (int i = 0; i < 32; ++i) f32.micro(kK, a.data(), bb, c.data(), f32.nr, f32.mr, f32.nr, 1.0f, 0.0f, true);
    double t2 = thread_seconds();
    // Per flop: each call does 2 * mr * nr * kK flops.
    t_dot = std::min(t_dot, (t1 - t0) / (dot.mr * dot.nr));
    t_f32 = std::min(t_f32, (t2 - t1) / (f32.mr * f32.nr));
  }
  return t_dot < 0.9 * t_f32 ? Bf16Path::Dot : Bf16Path::Fp32;
}
#endif

Bf16Path resolved_bf16_path() {
  int v = g_bf16_path.load(std::memory_order_relaxed);
  if (v != static_cast<int>(Bf16Path::Auto)) return static_cast<Bf16Path>(v);
  static const Bf16Path chosen = [] {
    if (const char* env = std::getenv("NEOX_GEMM_BF16"); env && *env) {
      std::string e(env);
      if (e == "dot") return Bf16Path::Dot;
      if (e == "fp32") return Bf16Path::Fp32;
      if (e != "auto") throw std::runtime_error("NEOX_GEMM_BF16=" + e + " is not a bf16 GEMM path: expected dot, fp32 or auto");
    }
#if NEOX_HAVE_X86_KERNELS
    if (isa_supported(Isa::Avx512)) return calibrate_bf16();
#endif
    return Bf16Path::Fp32;
  }();
  return chosen;
}

const KernelSpec& bf16_kernel() {
#if NEOX_HAVE_X86_KERNELS
  if (active_isa() == Isa::Avx512 && resolved_bf16_path() == Bf16Path::Dot) return *avx512_bf16_kernel();
#endif
  return f32_kernel();  // bf16 widened to fp32 while packing (exact)
}

void check(const char* fn, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const void* A, int64_t lda, const void* B,
           int64_t ldb, const void* C, int64_t ldc) {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(std::string(fn) + ": " + what); };
  if (M < 0 || N < 0 || K < 0)
    fail("sizes must be >= 0, got M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
  const int64_t a_row = ta ? M : K, b_row = tb ? K : N;
  if (lda < std::max<int64_t>(1, a_row))
    fail("lda=" + std::to_string(lda) + " is smaller than " + (ta ? "M=" : "K=") + std::to_string(a_row) +
         ", the row length of A (" + (ta ? "K x M, transposed)" : "M x K)"));
  if (ldb < std::max<int64_t>(1, b_row))
    fail("ldb=" + std::to_string(ldb) + " is smaller than " + (tb ? "K=" : "N=") + std::to_string(b_row) +
         ", the row length of B (" + (tb ? "N x K, transposed)" : "K x N)"));
  if (ldc < std::max<int64_t>(1, N))
    fail("ldc=" + std::to_string(ldc) + " is smaller than N=" + std::to_string(N) + ", the row length of C");
  if (M > 0 && N > 0) {
    if (!C) fail("C is the null address");
    if (K > 0 && (!A || !B)) fail(std::string(!A ? "A" : "B") + " is the null address");
  }
}

bool use_openblas() {
  static const int mode = [] {
    const char* env = std::getenv("NEOX_BLAS");
    if (!env || !*env || std::string(env) == "none" || std::string(env) == "neox") return 0;
    if (std::string(env) == "openblas") return 1;
    return -1;
  }();
  if (mode < 0)
    throw std::runtime_error(std::string("NEOX_BLAS=") + std::getenv("NEOX_BLAS") + " is not a BLAS: expected openblas or none");
  if (mode == 1 && !openblas_available())
    throw std::runtime_error(std::string("NEOX_BLAS=openblas but OpenBLAS did not load: ") + openblas_error());
  return mode == 1;
}

}  // namespace
}  // namespace gemm_detail

using namespace gemm_detail;

void set_gemm_bf16_path(Bf16Path path) { g_bf16_path.store(static_cast<int>(path), std::memory_order_relaxed); }

Bf16Path gemm_bf16_path() {
#if NEOX_HAVE_X86_KERNELS
  if (active_isa() == Isa::Avx512) return resolved_bf16_path();
#endif
  return Bf16Path::Fp32;
}

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  check("gemm", trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  if (use_openblas()) {
    openblas_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                   in_parallel_region() ? 1 : num_threads());
    return;
  }
  Problem p{A, lda, trans_a, B, ldb, trans_b, Src::F32, K, alpha, beta, C, ldc};
  run(f32_kernel(), p, M, N, num_threads());
}

void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A, int64_t lda,
               const uint16_t* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  check("gemmBf16", trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  Problem p{A, lda, trans_a, B, ldb, trans_b, Src::Bf16, K, alpha, beta, C, ldc};
  run(bf16_kernel(), p, M, N, num_threads());
}

// fp16 has no dot-product instruction here (AVX512-FP16 is Sapphire Rapids only): widened to fp32
// while packing (exact) and run on the fp32 tile, so it runs at about fp32 speed.
void gemm_f16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A, int64_t lda,
              const uint16_t* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  check("gemmF16", trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  Problem p{A, lda, trans_a, B, ldb, trans_b, Src::F16, K, alpha, beta, C, ldc};
  run(f32_kernel(), p, M, N, num_threads());
}

namespace {

// Batches at least as many as the threads run one matrix per thread; fewer run one after the other,
// each using all threads.
template <class T, class One>
void batched(const char* fn, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda,
             int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, float* C, int64_t ldc, int64_t stride_c,
             int64_t batch, One one) {
  if (batch < 0) throw std::invalid_argument(std::string(fn) + ": batch must be >= 0, got " + std::to_string(batch));
  if (batch == 0) return;
  check(fn, ta, tb, M, N, K, A, lda, B, ldb, C, ldc);
  if (batch > 1 && M > 0 && N > 0 && stride_c < (M - 1) * ldc + N)
    throw std::invalid_argument(std::string(fn) + ": strideC=" + std::to_string(stride_c) +
                                " is smaller than (M-1)*ldc+N=" + std::to_string((M - 1) * ldc + N) +
                                ", so outputs would overlap");
  const int threads = num_threads();
  if (batch >= threads && threads > 1 && !in_parallel_region()) {
    parallel_for(batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) one(A + b * stride_a, B + b * stride_b, C + b * stride_c);
    });
  } else {
    for (int64_t b = 0; b < batch; ++b) one(A + b * stride_a, B + b * stride_b, C + b * stride_c);
  }
}

}  // namespace

void sgemm_strided_batched(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int64_t stride_a,
                           int64_t stride_b, int64_t stride_c, int64_t batch) {
  batched("gemmStridedBatched", ta, tb, M, N, K, A, lda, stride_a, B, ldb, stride_b, C, ldc, stride_c, batch,
          [&](const float* a, const float* b, float* c) { sgemm(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc); });
}

void gemm_bf16_strided_batched(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A,
                               int64_t lda, const uint16_t* B, int64_t ldb, float beta, float* C, int64_t ldc,
                               int64_t stride_a, int64_t stride_b, int64_t stride_c, int64_t batch) {
  batched("gemmStridedBatchedBf16", ta, tb, M, N, K, A, lda, stride_a, B, ldb, stride_b, C, ldc, stride_c, batch,
          [&](const uint16_t* a, const uint16_t* b, float* c) {
            gemm_bf16(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
          });
}

void gemm_f16_strided_batched(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A,
                              int64_t lda, const uint16_t* B, int64_t ldb, float beta, float* C, int64_t ldc,
                              int64_t stride_a, int64_t stride_b, int64_t stride_c, int64_t batch) {
  batched("gemmStridedBatchedF16", ta, tb, M, N, K, A, lda, stride_a, B, ldb, stride_b, C, ldc, stride_c, batch,
          [&](const uint16_t* a, const uint16_t* b, float* c) {
            gemm_f16(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
          });
}

}  // namespace neox
