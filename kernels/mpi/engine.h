// The MPI communication engine: one thread that owns every MPI call of the process.
//
// Why one thread: collectives must be issued in the same order on every rank, and a FIFO drained by
// a single thread keeps the order the JS program issued them in (the libuv pool would reorder).
// Init, collectives and finalize all run on that thread, so MPI is initialised with
// MPI_THREAD_SERIALIZED (FUNNELED would suffice: only the initialising thread calls MPI; SERIALIZED
// leaves room to call MPI from the JS thread later without a new init).
//
// Buffers are native addresses (from @neox/kernels' alloc()); the caller keeps them alive and
// untouched until the operation's completion fires. Completions run on the engine thread; the
// Node-API binding forwards them to the JS thread.
//
// bf16 reductions: MPI has no bf16 type, so each rank widens its bf16 values to fp32 (exact),
// the reduction runs in fp32 (MPI_FLOAT, MPI_SUM), an average divides the fp32 sum by the group
// size, and the result is rounded once back to bf16 (round to nearest, ties to even). This costs
// twice the bytes on the wire but rounds once, independent of the number of ranks and of MPI's
// reduction order up to fp32 rounding. Gathers, broadcasts and send/recv move bf16 as raw 16-bit words.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// Open MPI's mpi.h pulls in its C++ bindings unless told not to, and the addon then fails to load
// with an undefined C++ MPI symbol.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

namespace neox::mpi {

enum class Dtype { F32, BF16 };
enum class Reduce { Sum, Avg };

size_t dtype_bytes(Dtype t);

// What a finished operation reports: an empty error on success; `values` carries small results
// (split: the new group's handle, rank and size).
struct Result {
  std::string error;
  int64_t values[3] = {0, 0, 0};
};
using Done = std::function<void(Result&&)>;

struct WorldInfo {
  int rank = 0;
  int size = 1;
  int thread_level = 0;  // the MPI_THREAD_* level MPI provided
  std::string library;   // MPI_Get_library_version, first line
};

class Engine {
 public:
  // Starts the thread and runs MPI_Init_thread on it; blocks until done. Throws std::runtime_error
  // when MPI fails to initialise or was initialised already.
  static Engine& start(WorldInfo* info);
  static Engine* instance();  // nullptr before start()

  // Each enqueues one operation on group handle `comm` (0 is the world) and calls done on the engine
  // thread when it finished (or failed). Sizes are element counts.
  void all_reduce(int comm, void* buf, int64_t count, Dtype t, Reduce op, Done done);
  void reduce_scatter(int comm, const void* send, void* recv, int64_t count_per_rank, Dtype t, Reduce op, Done done);
  // send holds counts[0] + ... + counts[size - 1] elements; this rank receives counts[rank] into recv
  // (added to it with `accumulate`); `discard` zeroes send afterwards, returning its pages
  // (reduce-scatter.cc).
  void reduce_scatter_v(int comm, void* send, void* recv, std::vector<int64_t> counts, Dtype t, Reduce op,
                        bool accumulate, bool discard, Done done);
  void all_gather(int comm, const void* send, void* recv, int64_t count_per_rank, Dtype t, Done done);
  void broadcast(int comm, void* buf, int64_t count, Dtype t, int root, Done done);
  void send(int comm, const void* buf, int64_t count, Dtype t, int peer, int tag, Done done);
  void recv(int comm, void* buf, int64_t count, Dtype t, int peer, int tag, Done done);
  void barrier(int comm, Done done);
  void split(int comm, int color, int key, Done done);
  void free_group(int comm, Done done);

  // Blocks the calling thread until every operation queued before has finished (its completion ran).
  // Not for the engine thread.
  void drain();

  // Runs MPI_Finalize on the engine thread after every queued operation, then joins the thread.
  // Returns an error message, empty on success. Later calls are errors.
  std::string finalize();
  bool finalized() const { return finalized_; }

 private:
  struct Task {
    // Runs on the engine thread. Returns true when it started a non-blocking request (stored in
    // *req) whose completion is reported later; false when it finished (or failed) in place.
    std::function<bool(Result&, MPI_Request* req)> run;
    Done done;
  };
  struct Pending {
    MPI_Request request;
    Done done;
  };

  Engine() = default;
  void post(Task task);
  void loop();
  void run_task(Task& task);
  bool drain_after_finalize();  // true once finalize ran (queued tasks are failed)
  void poll_pending();
  MPI_Comm group(int comm) const;
  int sum_f32(float* x, int64_t n, MPI_Comm c);  // engine thread only: MPI_Allreduce or the ring  // engine thread only; throws for an unknown or freed handle

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::vector<Pending> pending_;  // engine thread only
  std::vector<MPI_Comm> comms_;   // engine thread only: by handle, MPI_COMM_NULL when freed
  std::vector<float> scratch_;    // engine thread only: the ring all-reduce's receive chunk
  std::vector<float> wide_;       // engine thread only: bf16 reductions' fp32 copy, kept between calls
  bool stop_ = false;
  bool finalized_ = false;
};

// "<what>: <MPI's error text>" for a failed MPI call; empty for MPI_SUCCESS.
std::string check_message(const char* what, int code);

// In-place fp32 sum over `comm` by a ring of chunked MPI_Sendrecv (ring.cc); used above
// kRingMinBytes. Returns an MPI error code.
int ring_all_reduce_f32(float* x, int64_t n, MPI_Comm comm, std::vector<float>& scratch);
constexpr int64_t kRingMinBytes = 16 << 20;

// Reduce-scatter of fp32 with per-rank counts by a ring (reduce-scatter.cc): out (counts[rank]
// elements) = (or += with accumulate) the sum over the group of segment `rank` of `in` / divisor.
int ring_reduce_scatter_f32(const float* in, float* out, const std::vector<int64_t>& counts, bool accumulate,
                            float divisor, MPI_Comm comm, std::vector<float>& scratch);

// fp32 <-> bf16 (round to nearest even; NaN stays NaN).
void bf16_to_f32(const uint16_t* in, float* out, int64_t n);
void f32_to_bf16(const float* in, uint16_t* out, int64_t n);

}  // namespace neox::mpi
