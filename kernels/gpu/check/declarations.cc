// Compile-time check of our cuBLAS / cuBLASLt / NCCL declarations (cublas-api.h, nccl-api.h)
// against the real headers. Not part of the build (the build machine has no such headers): on a
// machine that has them, e.g. inside the nvidia-cublas and nvidia-nccl Python wheels, run
//   g++ -std=c++17 -fsyntax-only -I kernels -I $CUDA/include -I $CUBLAS/include -I $NCCL/include \
//       kernels/gpu/check/declarations.cc
// A wrong value or layout is a static_assert naming it. (Function signatures are not compared:
// the opaque handle types differ by name; a GPU test of each call is their check.)
#include <cublasLt.h>
#include <cublas_v2.h>
#include <nccl.h>

#include <cstddef>

#include "gpu/cublas-api.h"
#include "gpu/nccl-api.h"

namespace cb = neox::gpu::cublas;
namespace nc = neox::gpu::nccl;

#define SAME(ours, theirs) static_assert(static_cast<long>(ours) == static_cast<long>(theirs), #ours " != " #theirs)

SAME(cb::kStatusSuccess, CUBLAS_STATUS_SUCCESS);
SAME(cb::kStatusNotInitialized, CUBLAS_STATUS_NOT_INITIALIZED);
SAME(cb::kStatusAllocFailed, CUBLAS_STATUS_ALLOC_FAILED);
SAME(cb::kStatusInvalidValue, CUBLAS_STATUS_INVALID_VALUE);
SAME(cb::kStatusArchMismatch, CUBLAS_STATUS_ARCH_MISMATCH);
SAME(cb::kStatusMappingError, CUBLAS_STATUS_MAPPING_ERROR);
SAME(cb::kStatusExecutionFailed, CUBLAS_STATUS_EXECUTION_FAILED);
SAME(cb::kStatusInternalError, CUBLAS_STATUS_INTERNAL_ERROR);
SAME(cb::kStatusNotSupported, CUBLAS_STATUS_NOT_SUPPORTED);
SAME(cb::kStatusLicenseError, CUBLAS_STATUS_LICENSE_ERROR);
SAME(cb::kOpN, CUBLAS_OP_N);
SAME(cb::kOpT, CUBLAS_OP_T);
SAME(cb::kOpC, CUBLAS_OP_C);
SAME(cb::kR32F, CUDA_R_32F);
SAME(cb::kR64F, CUDA_R_64F);
SAME(cb::kR16F, CUDA_R_16F);
SAME(cb::kR8I, CUDA_R_8I);
SAME(cb::kR32I, CUDA_R_32I);
SAME(cb::kR16BF, CUDA_R_16BF);
SAME(cb::kR8F_E4M3, CUDA_R_8F_E4M3);
SAME(cb::kR8F_E5M2, CUDA_R_8F_E5M2);
SAME(cb::kCompute16F, CUBLAS_COMPUTE_16F);
SAME(cb::kCompute16FPedantic, CUBLAS_COMPUTE_16F_PEDANTIC);
SAME(cb::kCompute32F, CUBLAS_COMPUTE_32F);
SAME(cb::kCompute32FPedantic, CUBLAS_COMPUTE_32F_PEDANTIC);
SAME(cb::kCompute64F, CUBLAS_COMPUTE_64F);
SAME(cb::kCompute32I, CUBLAS_COMPUTE_32I);
SAME(cb::kCompute32FFast16F, CUBLAS_COMPUTE_32F_FAST_16F);
SAME(cb::kCompute32FFast16BF, CUBLAS_COMPUTE_32F_FAST_16BF);
SAME(cb::kCompute32FFastTF32, CUBLAS_COMPUTE_32F_FAST_TF32);
SAME(cb::kGemmDefault, CUBLAS_GEMM_DEFAULT);
SAME(cb::kGemmDefaultTensorOp, CUBLAS_GEMM_DEFAULT_TENSOR_OP);
SAME(cb::kDefaultMath, CUBLAS_DEFAULT_MATH);
SAME(cb::kPedanticMath, CUBLAS_PEDANTIC_MATH);
SAME(cb::kTF32TensorOpMath, CUBLAS_TF32_TENSOR_OP_MATH);
SAME(cb::kOrderCol, CUBLASLT_ORDER_COL);
SAME(cb::kOrderRow, CUBLASLT_ORDER_ROW);
SAME(cb::kDescComputeType, CUBLASLT_MATMUL_DESC_COMPUTE_TYPE);
SAME(cb::kDescScaleType, CUBLASLT_MATMUL_DESC_SCALE_TYPE);
SAME(cb::kDescPointerMode, CUBLASLT_MATMUL_DESC_POINTER_MODE);
SAME(cb::kDescTransA, CUBLASLT_MATMUL_DESC_TRANSA);
SAME(cb::kDescTransB, CUBLASLT_MATMUL_DESC_TRANSB);
SAME(cb::kDescTransC, CUBLASLT_MATMUL_DESC_TRANSC);
SAME(cb::kDescEpilogue, CUBLASLT_MATMUL_DESC_EPILOGUE);
SAME(cb::kDescBiasPointer, CUBLASLT_MATMUL_DESC_BIAS_POINTER);
SAME(cb::kDescEpilogueAuxPointer, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER);
SAME(cb::kDescEpilogueAuxLd, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD);
SAME(cb::kLayoutType, CUBLASLT_MATRIX_LAYOUT_TYPE);
SAME(cb::kLayoutOrder, CUBLASLT_MATRIX_LAYOUT_ORDER);
SAME(cb::kLayoutRows, CUBLASLT_MATRIX_LAYOUT_ROWS);
SAME(cb::kLayoutCols, CUBLASLT_MATRIX_LAYOUT_COLS);
SAME(cb::kLayoutLd, CUBLASLT_MATRIX_LAYOUT_LD);
SAME(cb::kLayoutBatchCount, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT);
SAME(cb::kLayoutStridedBatchOffset, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET);
SAME(cb::kPrefSearchMode, CUBLASLT_MATMUL_PREF_SEARCH_MODE);
SAME(cb::kPrefMaxWorkspaceBytes, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
SAME(cb::kEpilogueDefault, CUBLASLT_EPILOGUE_DEFAULT);
SAME(cb::kEpilogueRelu, CUBLASLT_EPILOGUE_RELU);
SAME(cb::kEpilogueBias, CUBLASLT_EPILOGUE_BIAS);
SAME(cb::kEpilogueReluBias, CUBLASLT_EPILOGUE_RELU_BIAS);
SAME(cb::kEpilogueGelu, CUBLASLT_EPILOGUE_GELU);
SAME(cb::kEpilogueGeluBias, CUBLASLT_EPILOGUE_GELU_BIAS);
SAME(cb::kEpilogueGeluAux, CUBLASLT_EPILOGUE_GELU_AUX);
SAME(cb::kEpilogueGeluAuxBias, CUBLASLT_EPILOGUE_GELU_AUX_BIAS);
SAME(cb::kEpilogueDGelu, CUBLASLT_EPILOGUE_DGELU);
SAME(cb::kEpilogueBGradA, CUBLASLT_EPILOGUE_BGRADA);
SAME(cb::kEpilogueBGradB, CUBLASLT_EPILOGUE_BGRADB);
static_assert(sizeof(cb::LtMatmulAlgo) == sizeof(cublasLtMatmulAlgo_t), "cublasLtMatmulAlgo_t size");
static_assert(sizeof(cb::LtMatmulHeuristicResult) == sizeof(cublasLtMatmulHeuristicResult_t),
              "cublasLtMatmulHeuristicResult_t size");
static_assert(offsetof(cb::LtMatmulHeuristicResult, workspaceSize) ==
                  offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize),
              "cublasLtMatmulHeuristicResult_t.workspaceSize offset");
static_assert(offsetof(cb::LtMatmulHeuristicResult, wavesCount) == offsetof(cublasLtMatmulHeuristicResult_t, wavesCount),
              "cublasLtMatmulHeuristicResult_t.wavesCount offset");

SAME(nc::kSuccess, ncclSuccess);
SAME(nc::kUnhandledCudaError, ncclUnhandledCudaError);
SAME(nc::kSystemError, ncclSystemError);
SAME(nc::kInternalError, ncclInternalError);
SAME(nc::kInvalidArgument, ncclInvalidArgument);
SAME(nc::kInvalidUsage, ncclInvalidUsage);
SAME(nc::kRemoteError, ncclRemoteError);
SAME(nc::kInProgress, ncclInProgress);
SAME(nc::kInt8, ncclInt8);
SAME(nc::kUint8, ncclUint8);
SAME(nc::kInt32, ncclInt32);
SAME(nc::kUint32, ncclUint32);
SAME(nc::kInt64, ncclInt64);
SAME(nc::kUint64, ncclUint64);
SAME(nc::kFloat16, ncclFloat16);
SAME(nc::kFloat32, ncclFloat32);
SAME(nc::kFloat64, ncclFloat64);
SAME(nc::kBfloat16, ncclBfloat16);
SAME(nc::kSum, ncclSum);
SAME(nc::kProd, ncclProd);
SAME(nc::kMax, ncclMax);
SAME(nc::kMin, ncclMin);
SAME(nc::kAvg, ncclAvg);
SAME(nc::kUniqueIdBytes, NCCL_UNIQUE_ID_BYTES);
static_assert(sizeof(nc::UniqueId) == sizeof(ncclUniqueId), "ncclUniqueId size");
