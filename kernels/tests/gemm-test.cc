// GEMM against a float64 triple loop under every ISA, plus a quick throughput print.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/gemm.h"
#include "cpu/runtime.h"

namespace {

uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}
float from_bf16(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

struct Case {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
};

// Returns the max error relative to the sum of |terms| bound.
void run_case(const Case& c, bool bf16) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t lda = (c.ta ? c.M : c.K) + 3, ldb = (c.tb ? c.K : c.N) + 1, ldc = c.N + 2;
  const int64_t arows = c.ta ? c.K : c.M, brows = c.tb ? c.N : c.K;
  std::vector<float> A(arows * lda), B(brows * ldb), C(c.M * ldc), C0;
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  for (auto& x : C) x = u(rng);
  std::vector<uint16_t> Ah(A.size()), Bh(B.size());
  if (bf16) {
    for (size_t i = 0; i < A.size(); ++i) A[i] = from_bf16(Ah[i] = to_bf16(A[i]));
    for (size_t i = 0; i < B.size(); ++i) B[i] = from_bf16(Bh[i] = to_bf16(B[i]));
  }
  C0 = C;
  if (bf16)
    neox::gemm_bf16(c.ta, c.tb, c.M, c.N, c.K, c.alpha, Ah.data(), lda, Bh.data(), ldb, c.beta, C.data(), ldc);
  else
    neox::sgemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc);
  double worst = 0;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      double s = 0, mag = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        double a = c.ta ? A[k * lda + i] : A[i * lda + k];
        double b = c.tb ? B[j * ldb + k] : B[k * ldb + j];
        s += a * b;
        mag += std::fabs(a * b);
      }
      double want = c.alpha * s + (c.beta == 0 ? 0.0 : c.beta * C0[i * ldc + j]);
      double err = std::fabs(C[i * ldc + j] - want) / (1e-6 + std::fabs(c.alpha) * mag + std::fabs(c.beta * C0[i * ldc + j]));
      worst = std::max(worst, err);
    }
  // fp32 accumulation error grows ~ sqrt(K) * 2^-24 relative to the sum of |terms|.
  CHECK(worst < 1e-5) << "isa=" << neox::isa_name(neox::active_isa()) << " bf16=" << bf16 << " M=" << c.M
                      << " N=" << c.N << " K=" << c.K << " ta=" << c.ta << " tb=" << c.tb << " err=" << worst;
  // Padding columns of C are untouched.
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = c.N; j < ldc; ++j) CHECK(C[i * ldc + j] == C0[i * ldc + j]) << "wrote past N";
}

}  // namespace

TEST(gemm_matches_float64) {
  const Case cases[] = {
      {false, false, 1, 1, 1, 1, 0},     {false, false, 3, 17, 129, 1, 0}, {true, false, 17, 3, 1, 0.5f, 2},
      {false, true, 129, 17, 3, -1, 1},  {true, true, 13, 33, 257, 1, 0.25f}, {false, false, 200, 300, 600, 1, 0},
      {true, true, 150, 70, 530, 2, 0.5f}, {false, true, 37, 95, 1025, 1, 1},
  };
  for (int threads : {1, 2}) {
    neox::set_num_threads(threads);
    for (auto isa : neox::supported_isas()) {
      neox::set_isa(isa);
      for (auto path : {neox::Bf16Path::Dot, neox::Bf16Path::Fp32}) {
        neox::set_gemm_bf16_path(path);
        for (const auto& c : cases) {
          run_case(c, false);
          run_case(c, true);
        }
      }
      neox::set_gemm_bf16_path(neox::Bf16Path::Auto);
    }
  }
  neox::set_isa(neox::supported_isas().front());
}

TEST(gemm_throughput_print) {
  const int64_t M = 1024, N = 1024, K = 1024;
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  std::vector<uint16_t> Ah(M * K, to_bf16(0.5f)), Bh(K * N, to_bf16(0.25f));
  for (auto isa : neox::supported_isas()) {
    neox::set_isa(isa);
    for (int threads : {1, 2}) {
      neox::set_num_threads(threads);
      for (int bf16 = 0; bf16 < 2; ++bf16) {
        double best = 1e9;
        for (int rep = 0; rep < 3; ++rep) {
          auto t0 = std::chrono::steady_clock::now();
          if (bf16) neox::gemm_bf16(false, false, M, N, K, 1, Ah.data(), K, Bh.data(), N, 0, C.data(), N);
          else neox::sgemm(false, false, M, N, K, 1, A.data(), K, B.data(), N, 0, C.data(), N);
          best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::printf("  %-7s %s%s %d thr: %.1f GFLOP/s\n", neox::isa_name(isa), bf16 ? "bf16" : "fp32",
                    bf16 ? (neox::gemm_bf16_path() == neox::Bf16Path::Dot ? " (dot)" : " (fp32)") : "", threads,
                    2.0 * M * N * K / best / 1e9);
        CHECK(C[0] == 0.125f * K);
      }
    }
  }
  neox::set_isa(neox::supported_isas().front());
}
