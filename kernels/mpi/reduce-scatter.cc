// Reduce-scatter with a count per rank (MPI_Reduce_scatter's shape): the input holds every rank's
// segment back to back, segment r being counts[r] elements, and rank r receives the sum (or mean)
// of segment r over the group. Data parallelism's gradient buckets need it: a bucket is a range of
// the flat gradient that crosses the ZeRO shards unevenly.
//
// fp32 runs a ring of chunked MPI_Sendrecv (the reason: ring.cc); one chunk of each segment at a
// time goes all the way around the ring before the next, so the scratch is two chunks and the
// input is only read. For chunk a: in step s rank r sends its running partial of segment
// (r - s - 1) to the next rank (in step 0 its own values), receives the previous rank's partial of
// segment (r - s - 2), and adds its own values to it; after n - 1 steps it holds the total of
// segment r, which goes to the output (or is added to it: `accumulate`). Each element is summed in
// ring order starting from rank r + 1, so with 2 ranks the result is exact and order-free.
//
// `discard` then zeroes the input range and gives its whole pages back to the kernel
// (MADV_DONTNEED: a private anonymous page reads as zeros after it, and is only backed by memory
// again when written). ZeRO stage 2 uses it on the full-size gradient it reduces bucket by bucket,
// so that buffer only holds the pages of buckets the backward wrote and the ring has not reduced.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "mpi/engine.h"

namespace neox::mpi {

namespace {

constexpr int64_t kChunk = 256 * 1024;  // elements per message, as ring.cc

// Zeroes n floats at x, returning the whole pages inside the range to the kernel.
void discard_f32(float* x, int64_t n) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(x);
  const uintptr_t hi = lo + static_cast<uintptr_t>(n) * 4;
  const uintptr_t a = (lo + page - 1) & ~(page - 1);
  const uintptr_t b = hi & ~(page - 1);
  if (b <= a || madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED) != 0) {
    std::memset(x, 0, static_cast<size_t>(n) * 4);
    return;
  }
  std::memset(x, 0, a - lo);
  std::memset(reinterpret_cast<void*>(b), 0, hi - b);
}

}  // namespace

int ring_reduce_scatter_f32(const float* in, float* out, const std::vector<int64_t>& counts, bool accumulate,
                            float divisor, MPI_Comm comm, std::vector<float>& scratch) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<int64_t> offset(static_cast<size_t>(size) + 1, 0);
  for (int r = 0; r < size; ++r) offset[r + 1] = offset[r] + counts[r];
  const int64_t mine = counts[rank];
  const float* own = in + offset[rank];
  if (size == 1) {
    for (int64_t i = 0; i < mine; ++i) out[i] = accumulate ? out[i] + own[i] / divisor : own[i] / divisor;
    return MPI_SUCCESS;
  }
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  const int64_t longest = *std::max_element(counts.begin(), counts.end());
  scratch.resize(static_cast<size_t>(2 * kChunk));
  float* partial = scratch.data();       // what this rank sends on
  float* received = partial + kChunk;    // what it gets from prev
  auto length = [&](int seg, int64_t a) { return std::clamp<int64_t>(counts[seg] - a, 0, kChunk); };
  for (int64_t a = 0; a < longest; a += kChunk) {
    for (int s = 0; s < size - 1; ++s) {
      const int out_seg = ((rank - s - 1) % size + size) % size;
      const int in_seg = ((rank - s - 2) % size + size) % size;
      const int send_n = static_cast<int>(length(out_seg, a));
      const int recv_n = static_cast<int>(length(in_seg, a));
      const float* src = s == 0 ? in + offset[out_seg] + a : partial;
      int rc = MPI_Sendrecv(src, send_n, MPI_FLOAT, next, 2, received, recv_n, MPI_FLOAT, prev, 2, comm,
                            MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS) return rc;
      const float* local = in + offset[in_seg] + a;
      if (s < size - 2) {
        for (int i = 0; i < recv_n; ++i) partial[i] = received[i] + local[i];
      } else {  // in_seg == rank: the total of this chunk of the own segment
        float* dst = out + a;
        if (accumulate)
          for (int i = 0; i < recv_n; ++i) dst[i] += (received[i] + local[i]) / divisor;
        else
          for (int i = 0; i < recv_n; ++i) dst[i] = (received[i] + local[i]) / divisor;
      }
    }
  }
  return MPI_SUCCESS;
}

void Engine::reduce_scatter_v(int comm, void* send, void* recv, std::vector<int64_t> counts, Dtype t, Reduce op,
                              bool accumulate, bool discard, Done done) {
  post(Task{[this, comm, send, recv, counts = std::move(counts), t, op, accumulate, discard](Result& r,
                                                                                            MPI_Request*) {
              MPI_Comm c = group(comm);
              int rank = 0, size = 1;
              MPI_Comm_rank(c, &rank);
              MPI_Comm_size(c, &size);
              if (static_cast<int>(counts.size()) != size)
                throw std::runtime_error("reduceScatterV: " + std::to_string(counts.size()) +
                                         " counts for a group of " + std::to_string(size));
              const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
              // a mean divides the fp32 sum by the size, as every other collective's (exactly the same rounding)
              const float divisor = op == Reduce::Avg ? static_cast<float>(size) : 1.0f;
              if (t == Dtype::F32) {
                r.error = check_message("reduceScatterV",
                                        ring_reduce_scatter_f32(static_cast<const float*>(send), static_cast<float*>(recv),
                                                                counts, accumulate, divisor, c, scratch_));
                if (r.error.empty() && discard) discard_f32(static_cast<float*>(send), total);
                return false;
              }
              if (discard) throw std::runtime_error("reduceScatterV: discard takes f32 input only");
              const int64_t mine = counts[static_cast<size_t>(rank)];
              std::vector<float> wide(static_cast<size_t>(total));
              std::vector<float> out(static_cast<size_t>(mine));
              bf16_to_f32(static_cast<const uint16_t*>(send), wide.data(), total);
              if (accumulate) bf16_to_f32(static_cast<const uint16_t*>(recv), out.data(), mine);
              r.error = check_message("reduceScatterV", ring_reduce_scatter_f32(wide.data(), out.data(), counts,
                                                                                accumulate, divisor, c, scratch_));
              if (r.error.empty()) f32_to_bf16(out.data(), static_cast<uint16_t*>(recv), mine);
              return false;
            },
            std::move(done)});
}

void Engine::drain() {
  std::promise<void> finished;
  auto fut = finished.get_future();
  post(Task{[](Result&, MPI_Request*) { return false; }, [&finished](Result&&) { finished.set_value(); }});
  fut.wait();
}

}  // namespace neox::mpi
