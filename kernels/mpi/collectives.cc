// The collectives and point-to-point operations, each queued on the engine thread (engine.cc), and
// the bf16 <-> fp32 conversions bf16 reductions use (see engine.h for the rounding).
#include <climits>
#include <cstring>
#include <stdexcept>

#include "mpi/engine.h"

namespace neox::mpi {

size_t dtype_bytes(Dtype t) { return t == Dtype::F32 ? 4 : 2; }

void bf16_to_f32(const uint16_t* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits = static_cast<uint32_t>(in[i]) << 16;
    std::memcpy(&out[i], &bits, 4);
  }
}

void f32_to_bf16(const float* in, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &in[i], 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
      out[i] = static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN, sign kept
    } else {
      out[i] = static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    }
  }
}

namespace {

// MPI counts are C ints; larger buffers would need chunking, which nothing needs yet.
int count_arg(const char* what, int64_t count) {
  if (count < 0 || count > INT_MAX)
    throw std::runtime_error(std::string(what) + ": element count " + std::to_string(count) +
                             " is outside 0.." + std::to_string(INT_MAX));
  return static_cast<int>(count);
}

// The wire type for moving (not reducing) elements: bf16 travels as raw 16-bit words.
MPI_Datatype move_type(Dtype t) { return t == Dtype::F32 ? MPI_FLOAT : MPI_UINT16_T; }

void scale(float* x, int64_t n, int size) {
  const float s = static_cast<float>(size);
  for (int64_t i = 0; i < n; ++i) x[i] /= s;
}

int group_size(MPI_Comm c) {
  int size = 1;
  MPI_Comm_size(c, &size);
  return size;
}

}  // namespace

int Engine::sum_f32(float* x, int64_t n, MPI_Comm c) {
  if (n * 4 >= kRingMinBytes) return ring_all_reduce_f32(x, n, c, scratch_);
  return MPI_Allreduce(MPI_IN_PLACE, x, static_cast<int>(n), MPI_FLOAT, MPI_SUM, c);
}

void Engine::all_reduce(int comm, void* buf, int64_t count, Dtype t, Reduce op, Done done) {
  post(Task{[=](Result& r, MPI_Request*) {
              MPI_Comm c = group(comm);
              int n = count_arg("allReduce", count);
              if (t == Dtype::F32) {
                auto* x = static_cast<float*>(buf);
                r.error = check_message("allReduce", sum_f32(x, n, c));
                if (r.error.empty() && op == Reduce::Avg) scale(x, n, group_size(c));
                return false;
              }
              std::vector<float>& wide = wide_;
              wide.resize(static_cast<size_t>(n));
              bf16_to_f32(static_cast<const uint16_t*>(buf), wide.data(), n);
              r.error = check_message("allReduce", sum_f32(wide.data(), n, c));
              if (!r.error.empty()) return false;
              if (op == Reduce::Avg) scale(wide.data(), n, group_size(c));
              f32_to_bf16(wide.data(), static_cast<uint16_t*>(buf), n);
              return false;
            },
            std::move(done)});
}

void Engine::reduce_scatter(int comm, const void* send, void* recv, int64_t count_per_rank, Dtype t, Reduce op,
                            Done done) {
  post(Task{[=](Result& r, MPI_Request*) {
              MPI_Comm c = group(comm);
              int n = count_arg("reduceScatter", count_per_rank);
              int size = group_size(c);
              if (t == Dtype::F32) {
                auto* out = static_cast<float*>(recv);
                r.error = check_message("reduceScatter",
                                        MPI_Reduce_scatter_block(send, out, n, MPI_FLOAT, MPI_SUM, c));
                if (r.error.empty() && op == Reduce::Avg) scale(out, n, size);
                return false;
              }
              const int64_t total = static_cast<int64_t>(n) * size;
              std::vector<float> wide(static_cast<size_t>(total));
              std::vector<float> out(static_cast<size_t>(n));
              bf16_to_f32(static_cast<const uint16_t*>(send), wide.data(), total);
              r.error = check_message("reduceScatter",
                                      MPI_Reduce_scatter_block(wide.data(), out.data(), n, MPI_FLOAT, MPI_SUM, c));
              if (!r.error.empty()) return false;
              if (op == Reduce::Avg) scale(out.data(), n, size);
              f32_to_bf16(out.data(), static_cast<uint16_t*>(recv), n);
              return false;
            },
            std::move(done)});
}

// A rank whose input already sits at its block of the output (ZeRO's shard as a view of the full
// parameters) gathers in place: MPI forbids the aliasing unless it is spelled MPI_IN_PLACE.
void Engine::all_gather(int comm, const void* send, void* recv, int64_t count_per_rank, Dtype t, Done done) {
  post(Task{[=](Result& r, MPI_Request*) {
              int n = count_arg("allGather", count_per_rank);
              MPI_Datatype type = move_type(t);
              MPI_Comm c = group(comm);
              int rank = 0;
              MPI_Comm_rank(c, &rank);
              const char* own = static_cast<const char*>(recv) + static_cast<size_t>(rank) * n * dtype_bytes(t);
              const void* in = send == static_cast<const void*>(own) ? MPI_IN_PLACE : send;
              r.error = check_message("allGather", MPI_Allgather(in, n, type, recv, n, type, c));
              return false;
            },
            std::move(done)});
}

void Engine::broadcast(int comm, void* buf, int64_t count, Dtype t, int root, Done done) {
  post(Task{[=](Result& r, MPI_Request*) {
              int n = count_arg("broadcast", count);
              r.error = check_message("broadcast", MPI_Bcast(buf, n, move_type(t), root, group(comm)));
              return false;
            },
            std::move(done)});
}

// Point-to-point runs non-blocking: a blocking MPI_Send on the one engine thread would deadlock a
// ring where every rank sends before it receives. The engine tests the request between tasks.
void Engine::send(int comm, const void* buf, int64_t count, Dtype t, int peer, int tag, Done done) {
  post(Task{[=](Result& r, MPI_Request* req) {
              int n = count_arg("send", count);
              r.error = check_message("send", MPI_Isend(buf, n, move_type(t), peer, tag, group(comm), req));
              return r.error.empty();
            },
            std::move(done)});
}

void Engine::recv(int comm, void* buf, int64_t count, Dtype t, int peer, int tag, Done done) {
  post(Task{[=](Result& r, MPI_Request* req) {
              int n = count_arg("recv", count);
              r.error = check_message("recv", MPI_Irecv(buf, n, move_type(t), peer, tag, group(comm), req));
              return r.error.empty();
            },
            std::move(done)});
}

}  // namespace neox::mpi
