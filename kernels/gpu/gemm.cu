// GEMM on cuBLAS, loaded at run time (libraries.h): sgemm, gemmBf16, gemmF16 and their
// StridedBatched forms with the CPU's arguments (packages/tensor/src/kernels/gemm.ts): row-major,
// C = alpha·op(A)·op(B) + beta·C, fp32 C and fp32 accumulation whatever the input type.
//
// Row-major to cuBLAS's column-major: a row-major X with row stride ld is the column-major Xᵀ with
// the same ld, so C (M×N) = op(A)·op(B) is computed as Cᵀ (N×M) = op(B)ᵀ·op(A)ᵀ, i.e. cuBLAS with
// the operands swapped (B first), m = N, n = M and each operand's own transpose flag.
// fp32 runs with CUBLAS_COMPUTE_32F under the default math mode, which never uses TF32 (that needs
// CUBLAS_TF32_TENSOR_OP_MATH), so results stay fp32 as the CPU's; bf16/fp16 inputs multiply on
// tensor cores with fp32 accumulation. Not yet run on a GPU: ops-parity.gpu.test.ts checks it.
#include <climits>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "gpu/libraries.h"
#include "gpu/ops.h"
#include "gpu/runtime.h"

namespace neox::gpu {

namespace {

using namespace neox::gpu::cublas;

// One cuBLAS handle per (device, stream), created on first use and kept for the process: a handle
// is bound to the device current when it was created, and setting its stream on every call would
// race between backends sharing a handle.
Handle handle_for(const Api& api, cudaStream_t stream, int* status) {
  static std::mutex mutex;
  static std::map<std::pair<int, cudaStream_t>, Handle> handles;
  int device = 0;
  if (int st = cuda_check(cudaGetDevice(&device), "gemm: cudaGetDevice")) {
    *status = st;
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(device, stream);
  auto it = handles.find(key);
  if (it != handles.end()) return it->second;
  Handle h = nullptr;
  Status s = api.create(&h);
  if (s != kStatusSuccess) {
    *status = fail(NEOX_GPU_LIBRARY_MISSING, std::string("cublasCreate_v2: ") + api.get_status_string(s) + " (" +
                                                 std::to_string(static_cast<int>(s)) + ")");
    return nullptr;
  }
  s = api.set_stream(h, stream);
  if (s != kStatusSuccess) {
    api.destroy(h);
    *status = fail(NEOX_GPU_INVALID_ARGUMENT, std::string("cublasSetStream_v2: ") + api.get_status_string(s));
    return nullptr;
  }
  handles.emplace(key, h);
  return h;
}

// Argument positions shared by every GEMM op (the CPU's order).
enum : int { kTransA, kTransB, kM, kN, kK, kAlpha, kA, kLda, kB, kLdb, kBeta, kC, kLdc, kStrideA, kStrideB, kStrideC, kBatch };

int gemm(const OpArgs& a, cudaStream_t stream, DataType in_type, bool batched) {
  const int64_t M = a.size(kM), N = a.size(kN), K = a.size(kK);
  const int64_t batch = batched ? a.size(kBatch) : 1;
  if (M == 0 || N == 0 || batch == 0) return 0;
  const bool ta = a.flag(kTransA), tb = a.flag(kTransB);
  const int64_t lda = a.size(kLda), ldb = a.size(kLdb), ldc = a.size(kLdc);
  // Leading dimensions as the CPU's gemm checks them: op(A) is M×K, so A is M×K or K×M.
  const int64_t a_cols = ta ? M : K, b_cols = tb ? K : N;
  if (lda < (a_cols > 0 ? a_cols : 1) || ldb < (b_cols > 0 ? b_cols : 1) || ldc < N)
    return a.invalid("lda " + std::to_string(lda) + ", ldb " + std::to_string(ldb) + ", ldc " + std::to_string(ldc) +
                     " are below the row lengths " + std::to_string(a_cols) + ", " + std::to_string(b_cols) + ", " +
                     std::to_string(N));
  for (int64_t v : {M, N, K, lda, ldb, ldc, batch})
    if (v > INT_MAX) return a.invalid("a size or leading dimension exceeds cuBLAS's int range: " + std::to_string(v));
  std::string error;
  const Api* api = load_cublas(&error);
  if (api == nullptr) return fail(NEOX_GPU_LIBRARY_MISSING, std::string(a.op) + ": " + error);
  int status = 0;
  Handle h = handle_for(*api, stream, &status);
  if (h == nullptr) return status;
  const float alpha = a.f32(kAlpha), beta = a.f32(kBeta);
  const Operation opA = ta ? kOpT : kOpN, opB = tb ? kOpT : kOpN;
  Status s;
  if (!batched) {
    s = api->gemm_ex(h, opB, opA, int(N), int(M), int(K), &alpha, a.ptr<const void>(kB), in_type, int(ldb),
                     a.ptr<const void>(kA), in_type, int(lda), &beta, a.ptr<void>(kC), kR32F, int(ldc), kCompute32F,
                     kGemmDefault);
  } else {
    const long long sA = static_cast<long long>(a.num(kStrideA)), sB = static_cast<long long>(a.num(kStrideB)),
                    sC = static_cast<long long>(a.num(kStrideC));
    s = api->gemm_strided_batched_ex(h, opB, opA, int(N), int(M), int(K), &alpha, a.ptr<const void>(kB), in_type,
                                     int(ldb), sB, a.ptr<const void>(kA), in_type, int(lda), sA, &beta,
                                     a.ptr<void>(kC), kR32F, int(ldc), sC, int(batch), kCompute32F, kGemmDefault);
  }
  if (s != kStatusSuccess)
    return fail(NEOX_GPU_INVALID_ARGUMENT, std::string(a.op) + ": " +
                                               (batched ? "cublasGemmStridedBatchedEx: " : "cublasGemmEx: ") +
                                               api->get_status_string(s) + " (" + std::to_string(int(s)) + ")");
  return launched(a);
}

#define NEOX_GEMM_ARGS "transA:b,transB:b,M:s,N:s,K:s,alpha:f,A:p,lda:s,B:p,ldb:s,beta:f,C:p,ldc:s"
#define NEOX_GEMM_BATCH_ARGS NEOX_GEMM_ARGS ",strideA:i,strideB:i,strideC:i,batch:s"

const OpSpec kOps[] = {
    {"sgemm", NEOX_GEMM_ARGS, [](const OpArgs& a, cudaStream_t s) { return gemm(a, s, kR32F, false); }},
    {"gemmBf16", NEOX_GEMM_ARGS, [](const OpArgs& a, cudaStream_t s) { return gemm(a, s, kR16BF, false); }},
    {"gemmF16", NEOX_GEMM_ARGS, [](const OpArgs& a, cudaStream_t s) { return gemm(a, s, kR16F, false); }},
    {"sgemmStridedBatched", NEOX_GEMM_BATCH_ARGS,
     [](const OpArgs& a, cudaStream_t s) { return gemm(a, s, kR32F, true); }},
    {"gemmBf16StridedBatched", NEOX_GEMM_BATCH_ARGS,
     [](const OpArgs& a, cudaStream_t s) { return gemm(a, s, kR16BF, true); }},
    {"gemmF16StridedBatched", NEOX_GEMM_BATCH_ARGS,
     [](const OpArgs& a, cudaStream_t s) { return gemm(a, s, kR16F, true); }},
};

}  // namespace

const OpSpec* gemm_ops(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}

}  // namespace neox::gpu
