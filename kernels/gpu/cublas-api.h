// Our own declarations of the cuBLAS and cuBLASLt functions the GPU library uses, so it builds
// without the cuBLAS headers (the build machine has none) and loads libcublas at run time
// (libraries.cc). Values and signatures follow cublas_api.h, cublasLt.h and library_types.h of
// CUDA 12/13; kernels/gpu/check/declarations.cc compares them with the real headers on a machine
// that has them. cuBLAS's legacy names are macros over the `_v2` symbols, so we resolve `_v2`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace neox::gpu::cublas {

using Stream = void*;  // cudaStream_t

enum Status : int {
  kStatusSuccess = 0,
  kStatusNotInitialized = 1,
  kStatusAllocFailed = 3,
  kStatusInvalidValue = 7,
  kStatusArchMismatch = 8,
  kStatusMappingError = 11,
  kStatusExecutionFailed = 13,
  kStatusInternalError = 14,
  kStatusNotSupported = 15,
  kStatusLicenseError = 16,
};

// cublasOperation_t
enum Operation : int { kOpN = 0, kOpT = 1, kOpC = 2 };

// cudaDataType_t (library_types.h)
enum DataType : int {
  kR32F = 0,
  kR64F = 1,
  kR16F = 2,
  kR8I = 3,
  kR32I = 10,
  kR16BF = 14,
  kR8F_E4M3 = 28,
  kR8F_E5M2 = 29,
};

// cublasComputeType_t
enum ComputeType : int {
  kCompute16F = 64,
  kCompute16FPedantic = 65,
  kCompute32F = 68,
  kCompute32FPedantic = 69,
  kCompute64F = 70,
  kCompute32I = 72,
  kCompute32FFast16F = 74,
  kCompute32FFast16BF = 75,
  kCompute32FFastTF32 = 77,
};

// cublasGemmAlgo_t
enum GemmAlgo : int { kGemmDefault = -1, kGemmDefaultTensorOp = 99 };

// cublasMath_t
enum Math : int { kDefaultMath = 0, kPedanticMath = 2, kTF32TensorOpMath = 3 };

// cublasLtOrder_t
enum LtOrder : int { kOrderCol = 0, kOrderRow = 1 };

// cublasLtMatmulDescAttributes_t (the ones we set)
enum LtMatmulDescAttribute : int {
  kDescComputeType = 0,
  kDescScaleType = 1,
  kDescPointerMode = 2,
  kDescTransA = 3,
  kDescTransB = 4,
  kDescTransC = 5,
  kDescEpilogue = 7,
  kDescBiasPointer = 8,
  kDescEpilogueAuxPointer = 11,
  kDescEpilogueAuxLd = 12,
};

// cublasLtMatrixLayoutAttribute_t
enum LtLayoutAttribute : int {
  kLayoutType = 0,
  kLayoutOrder = 1,
  kLayoutRows = 2,
  kLayoutCols = 3,
  kLayoutLd = 4,
  kLayoutBatchCount = 5,
  kLayoutStridedBatchOffset = 6,
};

// cublasLtMatmulPreferenceAttributes_t
enum LtPreferenceAttribute : int { kPrefSearchMode = 0, kPrefMaxWorkspaceBytes = 1 };

// cublasLtEpilogue_t
enum LtEpilogue : int {
  kEpilogueDefault = 1,
  kEpilogueRelu = 2,
  kEpilogueBias = 4,
  kEpilogueReluBias = 6,
  kEpilogueGelu = 32,
  kEpilogueGeluBias = 36,
  kEpilogueGeluAux = 160,
  kEpilogueGeluAuxBias = 164,
  kEpilogueDGelu = 192,
  kEpilogueBGradA = 256,
  kEpilogueBGradB = 512,
};

struct Context;  // opaque: cublasHandle_t is Context*
using Handle = Context*;
struct LtContext;
using LtHandle = LtContext*;
struct LtMatmulDescOpaque;
using LtMatmulDesc = LtMatmulDescOpaque*;
struct LtMatrixLayoutOpaque;
using LtMatrixLayout = LtMatrixLayoutOpaque*;
struct LtMatmulPreferenceOpaque;
using LtMatmulPreference = LtMatmulPreferenceOpaque*;

// cublasLtMatmulAlgo_t: an opaque 64-byte value.
struct LtMatmulAlgo {
  uint64_t data[8];
};
// cublasLtMatmulHeuristicResult_t
struct LtMatmulHeuristicResult {
  LtMatmulAlgo algo;
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};

// Function pointer types, named after the symbols they are resolved from.
using CreateFn = Status (*)(Handle*);                                  // cublasCreate_v2
using DestroyFn = Status (*)(Handle);                                  // cublasDestroy_v2
using SetStreamFn = Status (*)(Handle, Stream);                        // cublasSetStream_v2
using SetWorkspaceFn = Status (*)(Handle, void*, size_t);              // cublasSetWorkspace_v2
using SetMathModeFn = Status (*)(Handle, Math);                        // cublasSetMathMode
using GetStatusStringFn = const char* (*)(Status);                     // cublasGetStatusString
using GemmExFn = Status (*)(Handle, Operation, Operation, int m, int n, int k, const void* alpha, const void* A,
                            DataType Atype, int lda, const void* B, DataType Btype, int ldb, const void* beta, void* C,
                            DataType Ctype, int ldc, ComputeType computeType, GemmAlgo algo);
using GemmStridedBatchedExFn = Status (*)(Handle, Operation, Operation, int m, int n, int k, const void* alpha,
                                          const void* A, DataType Atype, int lda, long long strideA, const void* B,
                                          DataType Btype, int ldb, long long strideB, const void* beta, void* C,
                                          DataType Ctype, int ldc, long long strideC, int batchCount,
                                          ComputeType computeType, GemmAlgo algo);

using LtCreateFn = Status (*)(LtHandle*);
using LtDestroyFn = Status (*)(LtHandle);
using LtMatmulDescCreateFn = Status (*)(LtMatmulDesc*, ComputeType, DataType scaleType);
using LtMatmulDescDestroyFn = Status (*)(LtMatmulDesc);
using LtMatmulDescSetAttributeFn = Status (*)(LtMatmulDesc, LtMatmulDescAttribute, const void* buf, size_t size);
using LtMatrixLayoutCreateFn = Status (*)(LtMatrixLayout*, DataType, uint64_t rows, uint64_t cols, int64_t ld);
using LtMatrixLayoutDestroyFn = Status (*)(LtMatrixLayout);
using LtMatrixLayoutSetAttributeFn = Status (*)(LtMatrixLayout, LtLayoutAttribute, const void* buf, size_t size);
using LtMatmulPreferenceCreateFn = Status (*)(LtMatmulPreference*);
using LtMatmulPreferenceDestroyFn = Status (*)(LtMatmulPreference);
using LtMatmulPreferenceSetAttributeFn = Status (*)(LtMatmulPreference, LtPreferenceAttribute, const void* buf,
                                                    size_t size);
using LtMatmulAlgoGetHeuristicFn = Status (*)(LtHandle, LtMatmulDesc, LtMatrixLayout Adesc, LtMatrixLayout Bdesc,
                                              LtMatrixLayout Cdesc, LtMatrixLayout Ddesc, LtMatmulPreference,
                                              int requestedAlgoCount, LtMatmulHeuristicResult results[],
                                              int* returnAlgoCount);
using LtMatmulFn = Status (*)(LtHandle, LtMatmulDesc, const void* alpha, const void* A, LtMatrixLayout Adesc,
                              const void* B, LtMatrixLayout Bdesc, const void* beta, const void* C,
                              LtMatrixLayout Cdesc, void* D, LtMatrixLayout Ddesc, const LtMatmulAlgo* algo,
                              void* workspace, size_t workspaceSizeInBytes, Stream stream);

// The resolved cuBLAS functions (libraries.cc fills it; every pointer is non-null once loaded).
struct Api {
  CreateFn create;
  DestroyFn destroy;
  SetStreamFn set_stream;
  SetWorkspaceFn set_workspace;
  SetMathModeFn set_math_mode;
  GetStatusStringFn get_status_string;
  GemmExFn gemm_ex;
  GemmStridedBatchedExFn gemm_strided_batched_ex;
};

struct LtApi {
  LtCreateFn create;
  LtDestroyFn destroy;
  LtMatmulDescCreateFn matmul_desc_create;
  LtMatmulDescDestroyFn matmul_desc_destroy;
  LtMatmulDescSetAttributeFn matmul_desc_set_attribute;
  LtMatrixLayoutCreateFn matrix_layout_create;
  LtMatrixLayoutDestroyFn matrix_layout_destroy;
  LtMatrixLayoutSetAttributeFn matrix_layout_set_attribute;
  LtMatmulPreferenceCreateFn matmul_preference_create;
  LtMatmulPreferenceDestroyFn matmul_preference_destroy;
  LtMatmulPreferenceSetAttributeFn matmul_preference_set_attribute;
  LtMatmulAlgoGetHeuristicFn matmul_algo_get_heuristic;
  LtMatmulFn matmul;
};

}  // namespace neox::gpu::cublas
