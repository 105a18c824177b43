// Our own declarations of the NCCL functions the GPU process group uses (nccl.h is not on the
// build machine); libraries.cc resolves them from libnccl.so.2 at run time. Values and signatures
// follow nccl.h of NCCL 2.18+; kernels/gpu/check/declarations.cc compares them with the real header.
#pragma once

#include <cstddef>

namespace neox::gpu::nccl {

using Stream = void*;  // cudaStream_t

// ncclResult_t
enum Result : int {
  kSuccess = 0,
  kUnhandledCudaError = 1,
  kSystemError = 2,
  kInternalError = 3,
  kInvalidArgument = 4,
  kInvalidUsage = 5,
  kRemoteError = 6,
  kInProgress = 7,
};

// ncclDataType_t
enum DataType : int {
  kInt8 = 0,
  kUint8 = 1,
  kInt32 = 2,
  kUint32 = 3,
  kInt64 = 4,
  kUint64 = 5,
  kFloat16 = 6,
  kFloat32 = 7,
  kFloat64 = 8,
  kBfloat16 = 9,
};

// ncclRedOp_t (the predefined operations)
enum RedOp : int { kSum = 0, kProd = 1, kMax = 2, kMin = 3, kAvg = 4 };

constexpr size_t kUniqueIdBytes = 128;  // NCCL_UNIQUE_ID_BYTES
// ncclUniqueId: passed by value to ncclCommInitRank; rank 0 creates it, the others receive it.
struct UniqueId {
  char internal[kUniqueIdBytes];
};

struct Comm;  // opaque: ncclComm_t is Comm*
using CommHandle = Comm*;

using GetVersionFn = Result (*)(int* version);
using GetUniqueIdFn = Result (*)(UniqueId* id);
using CommInitRankFn = Result (*)(CommHandle* comm, int nranks, UniqueId commId, int rank);
using CommDestroyFn = Result (*)(CommHandle comm);
using CommAbortFn = Result (*)(CommHandle comm);
using CommGetAsyncErrorFn = Result (*)(CommHandle comm, Result* asyncError);
using GetErrorStringFn = const char* (*)(Result result);
using AllReduceFn = Result (*)(const void* sendbuff, void* recvbuff, size_t count, DataType, RedOp, CommHandle,
                               Stream);
using ReduceScatterFn = Result (*)(const void* sendbuff, void* recvbuff, size_t recvcount, DataType, RedOp,
                                   CommHandle, Stream);
using AllGatherFn = Result (*)(const void* sendbuff, void* recvbuff, size_t sendcount, DataType, CommHandle, Stream);
using BroadcastFn = Result (*)(const void* sendbuff, void* recvbuff, size_t count, DataType, int root, CommHandle,
                               Stream);
using SendFn = Result (*)(const void* sendbuff, size_t count, DataType, int peer, CommHandle, Stream);
using RecvFn = Result (*)(void* recvbuff, size_t count, DataType, int peer, CommHandle, Stream);
using GroupStartFn = Result (*)();
using GroupEndFn = Result (*)();

// The resolved NCCL functions (libraries.cc fills it; every pointer is non-null once loaded).
struct Api {
  GetVersionFn get_version;
  GetUniqueIdFn get_unique_id;
  CommInitRankFn comm_init_rank;
  CommDestroyFn comm_destroy;
  CommAbortFn comm_abort;
  CommGetAsyncErrorFn comm_get_async_error;
  GetErrorStringFn get_error_string;
  AllReduceFn all_reduce;
  ReduceScatterFn reduce_scatter;
  AllGatherFn all_gather;
  BroadcastFn broadcast;
  SendFn send;
  RecvFn recv;
  GroupStartFn group_start;
  GroupEndFn group_end;
};

}  // namespace neox::gpu::nccl
