// GEMM against a float64 triple loop under every ISA, plus a quick throughput print.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/convert.h"
#include "cpu/gemm-internal.h"
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

// fp16 bits decoded from the IEEE definition (independent of the kernels' widening).
double from_f16(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double mag = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -mag : mag;
}

enum class Kind { F32, Bf16, F16 };
const char* kind_name(Kind k) { return k == Kind::F32 ? "f32" : k == Kind::Bf16 ? "bf16" : "f16"; }

struct Case {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
};

// Returns the max error relative to the sum of |terms| bound.
void run_case(const Case& c, Kind kind) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t lda = (c.ta ? c.M : c.K) + 3, ldb = (c.tb ? c.K : c.N) + 1, ldc = c.N + 2;
  const int64_t arows = c.ta ? c.K : c.M, brows = c.tb ? c.N : c.K;
  std::vector<float> A(arows * lda), B(brows * ldb), C(c.M * ldc), C0;
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  for (auto& x : C) x = u(rng);
  std::vector<uint16_t> Ah(A.size()), Bh(B.size());
  if (kind == Kind::Bf16) {
    for (size_t i = 0; i < A.size(); ++i) A[i] = from_bf16(Ah[i] = to_bf16(A[i]));
    for (size_t i = 0; i < B.size(); ++i) B[i] = from_bf16(Bh[i] = to_bf16(B[i]));
  } else if (kind == Kind::F16) {
    // Scaled so that some values are fp16 subnormals (below 2^-14) as well as normals.
    for (auto& x : A) x *= (&x - A.data()) % 7 == 0 ? 1e-5f : 1.0f;
    neox::cast_f32_to_f16(Ah.data(), A.data(), static_cast<int64_t>(A.size()));
    neox::cast_f32_to_f16(Bh.data(), B.data(), static_cast<int64_t>(B.size()));
    for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<float>(from_f16(Ah[i]));
    for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>(from_f16(Bh[i]));
  }
  C0 = C;
  if (kind == Kind::Bf16)
    neox::gemm_bf16(c.ta, c.tb, c.M, c.N, c.K, c.alpha, Ah.data(), lda, Bh.data(), ldb, c.beta, C.data(), ldc);
  else if (kind == Kind::F16)
    neox::gemm_f16(c.ta, c.tb, c.M, c.N, c.K, c.alpha, Ah.data(), lda, Bh.data(), ldb, c.beta, C.data(), ldc);
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
  CHECK(worst < 1e-5) << "isa=" << neox::isa_name(neox::active_isa()) << " " << kind_name(kind) << " M=" << c.M
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
          run_case(c, Kind::F32);
          run_case(c, Kind::Bf16);
          run_case(c, Kind::F16);
        }
      }
      neox::set_gemm_bf16_path(neox::Bf16Path::Auto);
    }
  }
  neox::set_isa(neox::supported_isas().front());
}

// The portable packing loops widen fp16 with gemm_detail::f16_to_f32: every one of the 65536 bit
// patterns must give the IEEE value (NaN stays NaN, the sign of zero kept).
TEST(gemm_f16_widening_is_exact_for_every_pattern) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const double want = from_f16(static_cast<uint16_t>(h));
    const float got = neox::gemm_detail::f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(want)) CHECK(std::isnan(got)) << "0x" << std::hex << h << " gave " << got;
    else CHECK(got == static_cast<float>(want) && std::signbit(got) == std::signbit(want))
        << "0x" << std::hex << h << " gave " << got << ", want " << want;
  }
}

// fp16 edge values pass through the GEMM exactly widened: the largest finite value, subnormals, and
// Inf (which must propagate to C, not be clamped: the loss scaler looks for it).
TEST(gemm_f16_edge_values) {
  const uint16_t kMax = 0x7bff, kMinSub = 0x0001, kInf = 0x7c00, kOne = 0x3c00;
  for (auto isa : neox::supported_isas()) {
    neox::set_isa(isa);
    for (int64_t M : {1, 20}) {  // M <= 4 takes the unpacked path under AVX-512
      for (bool tb : {false, true}) {
        const int64_t N = 3, K = 2;
        std::vector<uint16_t> A(M * K), B(K * N, kOne);
        for (int64_t i = 0; i < M; ++i) A[i * K] = kMax, A[i * K + 1] = kMinSub;
        std::vector<float> C(M * N, -1.0f);
        neox::gemm_f16(false, tb, M, N, K, 1, A.data(), K, B.data(), tb ? K : N, 0, C.data(), N);
        // 65504 + 2^-24 rounds to 65504 in fp32.
        for (float v : C) CHECK(v == 65504.0f) << "isa=" << neox::isa_name(isa) << " M=" << M << " got " << v;
        A[0] = 0, A[1] = kMinSub;
        neox::gemm_f16(false, tb, M, N, K, 1, A.data(), K, B.data(), tb ? K : N, 0, C.data(), N);
        CHECK(C[0] == static_cast<float>(std::ldexp(1.0, -24))) << "subnormal widened to " << C[0];
        A[0] = kInf;
        neox::gemm_f16(false, tb, M, N, K, 1, A.data(), K, B.data(), tb ? K : N, 0, C.data(), N);
        CHECK(std::isinf(C[0]) && C[0] > 0) << "isa=" << neox::isa_name(isa) << " Inf became " << C[0];
      }
    }
  }
  neox::set_isa(neox::supported_isas().front());
}

TEST(gemm_throughput_print) {
  const int64_t M = 1024, N = 1024, K = 1024;
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  std::vector<uint16_t> Ah(M * K, to_bf16(0.5f)), Bh(K * N, to_bf16(0.25f));
  std::vector<uint16_t> Fa(M * K, 0x3800), Fb(K * N, 0x3400);  // fp16 0.5 and 0.25
  for (auto isa : neox::supported_isas()) {
    neox::set_isa(isa);
    for (int threads : {1, 2}) {
      neox::set_num_threads(threads);
      for (int kind = 0; kind < 3; ++kind) {
        const bool bf16 = kind == 1;
        double best = 1e9;
        for (int rep = 0; rep < 3; ++rep) {
          auto t0 = std::chrono::steady_clock::now();
          if (kind == 1) neox::gemm_bf16(false, false, M, N, K, 1, Ah.data(), K, Bh.data(), N, 0, C.data(), N);
          else if (kind == 2) neox::gemm_f16(false, false, M, N, K, 1, Fa.data(), K, Fb.data(), N, 0, C.data(), N);
          else neox::sgemm(false, false, M, N, K, 1, A.data(), K, B.data(), N, 0, C.data(), N);
          best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::printf("  %-7s %s%s %d thr: %.1f GFLOP/s\n", neox::isa_name(isa), kind == 2 ? "f16" : bf16 ? "bf16" : "fp32",
                    bf16 ? (neox::gemm_bf16_path() == neox::Bf16Path::Dot ? " (dot)" : " (fp32)") : "", threads,
                    2.0 * M * N * K / best / 1e9);
        CHECK(C[0] == 0.125f * K);
      }
    }
  }
  neox::set_isa(neox::supported_isas().front());
}
