// ISA choice, thread pool and counted aligned memory (see runtime.h for the contract).
#include "runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NEOX_X86 1
#endif

namespace neox {

// ---------------------------------------------------------------------------------------------
// ISA

namespace {

bool cpu_has(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return true;
#if NEOX_X86
    // __builtin_cpu_supports also checks that the OS saves the vector state (XCR0).
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("fma");
#endif
    default:
      return false;
  }
}

Isa best_isa() {
  if (cpu_has(Isa::Avx512)) return Isa::Avx512;
  if (cpu_has(Isa::Avx2)) return Isa::Avx2;
  return Isa::Scalar;
}

std::atomic<int> g_isa{-1};
std::atomic<int> g_threads{0};
std::once_flag g_lazy_once;

std::string supported_list() {
  std::string s;
  for (Isa i : supported_isas()) s += (s.empty() ? "" : ", ") + std::string(isa_name(i));
  return s;
}

// Reads the environment; with strict=false bad values fall back to the defaults silently.
void init_from_env(bool strict) {
  Isa isa = best_isa();
  if (const char* env = std::getenv("NEOX_ISA"); env && *env) {
    Isa want;
    if (!parse_isa(env, &want)) {
      if (strict)
        throw std::runtime_error(std::string("NEOX_ISA=") + env + " is not an ISA: expected avx512, avx2 or scalar");
    } else if (!cpu_has(want)) {
      if (strict)
        throw std::runtime_error(std::string("NEOX_ISA=") + env + " is not supported by this CPU (supported: " +
                                 supported_list() + ")");
    } else {
      isa = want;
    }
  }
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (const char* env = std::getenv("NEOX_NUM_THREADS"); env && *env) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 1 || v > 4096) {
      if (strict)
        throw std::runtime_error(std::string("NEOX_NUM_THREADS=") + env +
                                 " is not a thread count: expected an integer from 1 to 4096");
    } else {
      threads = static_cast<int>(v);
    }
  }
  int expected = -1;
  g_isa.compare_exchange_strong(expected, static_cast<int>(isa));
  int zero = 0;
  g_threads.compare_exchange_strong(zero, threads);
}

void lazy_init() {
  std::call_once(g_lazy_once, [] { init_from_env(false); });
}

}  // namespace

void init_runtime() {
  // Validate first (throws on bad values), then publish if nothing was published yet.
  init_from_env(true);
}

Isa active_isa() {
  int v = g_isa.load(std::memory_order_relaxed);
  if (v < 0) {
    lazy_init();
    v = g_isa.load(std::memory_order_relaxed);
  }
  return static_cast<Isa>(v);
}

void set_isa(Isa isa) {
  if (!cpu_has(isa))
    throw std::runtime_error(std::string("ISA ") + isa_name(isa) + " is not supported by this CPU (supported: " +
                             supported_list() + ")");
  g_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
}

bool isa_supported(Isa isa) { return cpu_has(isa); }

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa i : {Isa::Avx512, Isa::Avx2, Isa::Scalar})
    if (cpu_has(i)) out.push_back(i);
  return out;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "scalar";
  }
}

bool parse_isa(const char* name, Isa* out) {
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "avx512") *out = Isa::Avx512;
  else if (s == "avx2") *out = Isa::Avx2;
  else if (s == "scalar") *out = Isa::Scalar;
  else return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Thread pool: num_threads()-1 persistent workers plus the calling thread. Workers spin briefly
// after a job, then sleep on a condition variable; chunks are claimed dynamically (see run()).

namespace {

thread_local int tl_depth = 0;  // > 0 while running a parallel_for range on this thread

inline void cpu_relax() {
#if NEOX_X86
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      ++seq_;
    }
    cv_start_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // Runs fn on nchunks ranges of `per` items. Chunks are claimed dynamically by the caller and the
  // workers, so a worker that is slow to wake (tens of µs on a busy or virtual machine) costs
  // nothing: the caller runs the chunks nobody claimed.
  void run(int nchunks, int64_t n, int64_t per, const std::function<void(int64_t, int64_t)>& fn) {
    uint32_t seq;
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      n_ = n;
      per_ = per;
      nchunks_ = nchunks;
      error_ = nullptr;
      seq = ++seq_;
      remaining_.store(nchunks, std::memory_order_relaxed);
      claim_.store(static_cast<uint64_t>(seq) << 32, std::memory_order_release);
    }
    cv_start_.notify_all();
    work(seq, nchunks);
    for (int spin = 0; spin < 20000 && remaining_.load(std::memory_order_acquire) != 0; ++spin) cpu_relax();
    if (remaining_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
    }
    // No lock on the common path: a worker just woken may hold mu_ for a while.
    if (has_error_.load(std::memory_order_acquire)) {
      std::exception_ptr err;
      {
        std::lock_guard<std::mutex> lk(mu_);
        err = error_;
        error_ = nullptr;
        has_error_.store(false, std::memory_order_relaxed);
      }
      std::rethrow_exception(err);
    }
  }

  std::mutex dispatch_mu;  // one outside thread uses the pool at a time; others run inline

 private:
  // Claims chunks of job `seq` until none are left. claim_ packs (job seq << 32 | next chunk), so
  // a worker holding a stale seq can never claim a chunk of a later job.
  void work(uint32_t seq, int nchunks) {
    for (;;) {
      uint64_t v = claim_.load(std::memory_order_acquire);
      int idx;
      do {
        if (static_cast<uint32_t>(v >> 32) != seq) return;
        idx = static_cast<int>(v & 0xffffffffu);
        if (idx >= nchunks) return;
      } while (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire));
      run_chunk(idx);
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);
        cv_done_.notify_all();
      }
    }
  }

  void run_chunk(int c) {
    int64_t begin = static_cast<int64_t>(c) * per_;
    int64_t end = std::min(n_, begin + per_);
    if (begin >= end) return;
    ++tl_depth;
    try {
      (*fn_)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
      has_error_.store(true, std::memory_order_release);
    }
    --tl_depth;
  }

  void worker_loop() {
    uint32_t seen = 0;
    for (;;) {
      // Spin for ~100 us (op calls from JS arrive microseconds apart), then sleep.
      auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      for (int spin = 0; static_cast<uint32_t>(claim_.load(std::memory_order_acquire) >> 32) == seen; ++spin) {
        cpu_relax();
        if ((spin & 255) == 255 && std::chrono::steady_clock::now() > spin_until) break;
      }
      uint32_t seq;
      int nchunks;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_start_.wait(lk, [&] { return seq_ != seen; });
        if (stop_) return;
        seq = seen = seq_;
        nchunks = nchunks_;
      }
      work(seq, nchunks);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  uint32_t seq_ = 0;  // job sequence number, guarded by mu_
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> remaining_{0};
  bool stop_ = false;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, per_ = 0;
  int nchunks_ = 0;
  std::exception_ptr error_;
  std::atomic<bool> has_error_{false};
};

std::mutex g_pool_mu;
Pool* g_pool = nullptr;  // leaked on purpose: workers may outlive static destructors at exit

Pool* pool_for(int threads) {
  std::lock_guard<std::mutex> lk(g_pool_mu);
  if (g_pool && g_pool->size() != threads) {
    g_pool->stop();
    delete g_pool;
    g_pool = nullptr;
  }
  if (!g_pool) g_pool = new Pool(threads);
  return g_pool;
}

}  // namespace

int num_threads() {
  int t = g_threads.load(std::memory_order_relaxed);
  if (t <= 0) {
    lazy_init();
    t = g_threads.load(std::memory_order_relaxed);
  }
  return t;
}

void set_num_threads(int n) {
  if (n < 1 || n > 4096) throw std::invalid_argument("set_num_threads: expected 1 to 4096 threads, got " + std::to_string(n));
  lazy_init();
  g_threads.store(n, std::memory_order_relaxed);
}

bool in_parallel_region() { return tl_depth > 0; }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int threads = num_threads();
  int64_t blocks = (n + grain - 1) / grain;
  if (threads <= 1 || blocks <= 1 || tl_depth > 0) {
    ++tl_depth;
    struct Guard {
      ~Guard() { --tl_depth; }
    } guard;
    fn(0, n);
    return;
  }
  int64_t nchunks = std::min<int64_t>(threads, blocks);
  int64_t per = ((blocks + nchunks - 1) / nchunks) * grain;
  nchunks = (n + per - 1) / per;
  Pool* pool = pool_for(threads);
  std::unique_lock<std::mutex> lk(pool->dispatch_mu, std::try_to_lock);
  if (!lk.owns_lock()) {  // another outside thread holds the pool: run serially here
    ++tl_depth;
    struct Guard {
      ~Guard() { --tl_depth; }
    } guard;
    fn(0, n);
    return;
  }
  pool->run(static_cast<int>(nchunks), n, per, fn);
}

// ---------------------------------------------------------------------------------------------
// Counted aligned memory: a 64-byte header before each block records its size and a magic
// number, so free_counted needs no size and catches double frees.

namespace {

constexpr size_t kAlign = 64;
// Blocks of at least kHugeMin bytes are placed on 2 MiB boundaries and offered to the kernel as
// transparent huge pages (Linux's default THP mode, "madvise", gives them only when asked). Reading
// a large weight once per token is the whole cost of a decode step, and on 4 KiB pages the hardware
// prefetcher stops at every page boundary: measured on AMD EPYC Zen 4, one core streaming a 98 MiB
// matrix, 18-20 GB/s on 4 KiB pages, 28-29 GB/s on huge pages. The flat parameter buffers, their
// bf16 copies and KV caches are such blocks. Where THP is off, the advice is ignored.
constexpr size_t kHugeMin = size_t{4} << 20;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr uint64_t kMagicLive = 0x6e656f78616c6c63ULL;  // "neoxallc"
constexpr uint64_t kMagicFreed = 0x6e656f7866726565ULL;  // "neoxfree"
struct Header {
  uint64_t magic;
  uint64_t size;
};
static_assert(sizeof(Header) <= kAlign, "header must fit in the alignment pad");

std::atomic<uint64_t> g_live_bytes{0}, g_total_bytes{0}, g_calls{0}, g_live_count{0};

Header* header_of(const void* p, const char* who) {
  auto* h = reinterpret_cast<Header*>(static_cast<char*>(const_cast<void*>(p)) - kAlign);
  if (h->magic == kMagicFreed) throw std::invalid_argument(std::string(who) + ": address was already freed");
  if (h->magic != kMagicLive)
    throw std::invalid_argument(std::string(who) + ": address was not allocated by neox alloc");
  return h;
}

}  // namespace

void* aligned_alloc_counted(size_t bytes) {
  size_t body = (bytes + kAlign - 1) / kAlign * kAlign;
  if (body < bytes || body > (SIZE_MAX - kAlign)) throw std::bad_alloc();
  void* raw = nullptr;
  if (body >= kHugeMin && body <= SIZE_MAX - 2 * kHugePage) {
    const size_t whole = (body + kAlign + kHugePage - 1) / kHugePage * kHugePage;
    raw = std::aligned_alloc(kHugePage, whole);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (raw) madvise(raw, whole, MADV_HUGEPAGE);  // advice only: failure leaves 4 KiB pages
#endif
  } else {
    raw = std::aligned_alloc(kAlign, body + kAlign);
  }
  if (!raw) throw std::bad_alloc();
  auto* h = static_cast<Header*>(raw);
  h->magic = kMagicLive;
  h->size = bytes;
  g_live_bytes.fetch_add(bytes, std::memory_order_relaxed);
  g_total_bytes.fetch_add(bytes, std::memory_order_relaxed);
  g_calls.fetch_add(1, std::memory_order_relaxed);
  g_live_count.fetch_add(1, std::memory_order_relaxed);
  return static_cast<char*>(raw) + kAlign;
}

void free_counted(void* p) {
  if (!p) return;
  Header* h = header_of(p, "free");
  g_live_bytes.fetch_sub(h->size, std::memory_order_relaxed);
  g_live_count.fetch_sub(1, std::memory_order_relaxed);
  h->magic = kMagicFreed;
  std::free(h);
}

size_t allocation_size(const void* p) { return header_of(p, "allocation_size")->size; }

AllocStats alloc_stats() {
  return AllocStats{g_live_bytes.load(), g_total_bytes.load(), g_calls.load(), g_live_count.load()};
}

}  // namespace neox
