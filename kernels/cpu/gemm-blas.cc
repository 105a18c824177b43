// OpenBLAS loaded at run time (dlopen libopenblas.so.0, cblas_sgemm by name): an optional
// cross-check and benchmark anchor, never a build or load dependency.
#include <dlfcn.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include "gemm.h"

namespace neox {
namespace {

// cblas enums (cblas.h): CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112. OpenBLAS's
// default (non-ILP64) build takes 32-bit ints.
using CblasSgemm = void (*)(int order, int ta, int tb, int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc);
using SetThreads = void (*)(int);
using CoreName = char* (*)();

struct OpenBlas {
  CblasSgemm sgemm = nullptr;
  SetThreads set_threads = nullptr;
  CoreName core_name = nullptr;
  std::string error;
  int threads = -1;
  std::mutex mu;
};

OpenBlas& lib() {
  static OpenBlas* ob = [] {
    auto* o = new OpenBlas();
    const char* names[] = {"libopenblas.so.0", "libopenblas.so"};
    void* h = nullptr;
    std::string tried;
    for (const char* name : names) {
      h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (h) break;
      const char* err = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (err ? err : name);
    }
    if (!h) {
      o->error = "could not dlopen libopenblas.so.0 (" + tried + "); install libopenblas0-pthread";
      return o;
    }
    o->sgemm = reinterpret_cast<CblasSgemm>(dlsym(h, "cblas_sgemm"));
    o->set_threads = reinterpret_cast<SetThreads>(dlsym(h, "openblas_set_num_threads"));
    o->core_name = reinterpret_cast<CoreName>(dlsym(h, "openblas_get_corename"));
    if (!o->sgemm) o->error = "libopenblas.so.0 has no cblas_sgemm";
    return o;
  }();
  return *ob;
}

}  // namespace

bool openblas_available() { return lib().sgemm != nullptr; }

const char* openblas_error() { return lib().error.c_str(); }

const char* openblas_core() {
  OpenBlas& ob = lib();
  return ob.sgemm && ob.core_name ? ob.core_name() : "";
}

void openblas_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  OpenBlas& ob = lib();
  if (!ob.sgemm) throw std::runtime_error("OpenBLAS is not available: " + ob.error);
  const int64_t lim = 0x7fffffff;
  if (M > lim || N > lim || K > lim || lda > lim || ldb > lim || ldc > lim)
    throw std::invalid_argument("openblas sgemm: sizes must fit in 32 bits");
  if (threads > 0 && ob.set_threads) {
    std::lock_guard<std::mutex> lk(ob.mu);
    if (ob.threads != threads) {
      ob.set_threads(threads);
      ob.threads = threads;
    }
  }
  ob.sgemm(101, trans_a ? 112 : 111, trans_b ? 112 : 111, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K),
           alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
}

}  // namespace neox
