// The engine thread: its queue, MPI init and finalize, group handles (split/free) and the polling
// of non-blocking send/recv requests. The collectives themselves are in collectives.cc.
#include "mpi/engine.h"

#include <dlfcn.h>

#include <chrono>
#include <future>
#include <stdexcept>

namespace neox::mpi {

namespace {

Engine* g_engine = nullptr;

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(len));
}

}  // namespace

std::string check_message(const char* what, int code) {
  return code == MPI_SUCCESS ? std::string() : std::string(what) + ": " + mpi_error(code);
}

Engine* Engine::instance() { return g_engine; }

Engine& Engine::start(WorldInfo* info) {
  if (g_engine) throw std::runtime_error("MPI is already initialised in this process (one init per process)");
  // Node loads addons with RTLD_LOCAL, which hides libmpi's symbols from the MCA components Open MPI
  // dlopens during init; promoting the already loaded library to RTLD_GLOBAL makes them visible.
  dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  auto* e = new Engine();  // never deleted: the thread must outlive static destructors at exit
  std::promise<std::string> ready;
  auto fut = ready.get_future();
  e->thread_ = std::thread([e, info, &ready] {
    int already = 0;
    MPI_Initialized(&already);
    if (already) {
      ready.set_value("MPI was initialised by someone else in this process");
      return;
    }
    int provided = 0;
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) {
      ready.set_value("MPI_Init_thread failed: error " + std::to_string(rc));
      return;
    }
    // Errors come back as codes (turned into rejected promises) instead of aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &info->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &info->size);
    info->thread_level = provided;
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, static_cast<size_t>(len));
    info->library = v.substr(0, v.find_first_of("\n,"));
    e->comms_.push_back(MPI_COMM_WORLD);
    ready.set_value(provided < MPI_THREAD_FUNNELED
                        ? "MPI provides thread level " + std::to_string(provided) + ", below MPI_THREAD_FUNNELED"
                        : std::string());
    e->loop();
  });
  std::string err = fut.get();
  if (!err.empty()) {
    e->thread_.join();
    throw std::runtime_error(err);
  }
  g_engine = e;
  return *e;
}

void Engine::post(Task task) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) {
      Result r;
      r.error = "MPI is finalized";
      task.done(std::move(r));
      return;
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void Engine::loop() {
  for (;;) {
    Task task;
    bool have = false;
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (queue_.empty()) {
        if (pending_.empty()) {
          cv_.wait(lk, [&] { return !queue_.empty(); });
        } else {
          // Requests in flight: wake up now and then to test them, without spinning a core.
          cv_.wait_for(lk, std::chrono::microseconds(50), [&] { return !queue_.empty(); });
        }
      }
      if (!queue_.empty()) {
        task = std::move(queue_.front());
        queue_.pop_front();
        have = true;
      }
    }
    if (have) {
      run_task(task);
      if (drain_after_finalize()) return;
    }
    if (!pending_.empty()) poll_pending();
  }
}

void Engine::run_task(Task& task) {
  Result r;
  MPI_Request req = MPI_REQUEST_NULL;
  bool started = false;
  try {
    started = task.run(r, &req);
  } catch (const std::exception& ex) {
    r.error = ex.what();
  }
  if (started && r.error.empty()) {
    pending_.push_back(Pending{req, std::move(task.done)});
  } else {
    task.done(std::move(r));
  }
}

bool Engine::drain_after_finalize() {
  std::deque<Task> orphans;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!stop_) return false;
    orphans.swap(queue_);
  }
  // Finalize ran: whatever was queued behind it can never run.
  for (Task& t : orphans) {
    Result r;
    r.error = "MPI was finalized before this operation ran";
    t.done(std::move(r));
  }
  return true;
}

void Engine::poll_pending() {
  for (size_t i = 0; i < pending_.size();) {
    int flag = 0;
    MPI_Status status;
    int rc = MPI_Test(&pending_[i].request, &flag, &status);
    if (rc != MPI_SUCCESS || flag) {
      Result r;
      r.error = check_message("send/recv", rc);
      Done done = std::move(pending_[i].done);
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
      done(std::move(r));
    } else {
      ++i;
    }
  }
}

MPI_Comm Engine::group(int comm) const {
  if (comm < 0 || static_cast<size_t>(comm) >= comms_.size() || comms_[comm] == MPI_COMM_NULL)
    throw std::runtime_error("unknown or freed process group handle " + std::to_string(comm));
  return comms_[comm];
}

void Engine::barrier(int comm, Done done) {
  post(Task{[this, comm](Result& r, MPI_Request*) {
              r.error = check_message("barrier", MPI_Barrier(group(comm)));
              return false;
            },
            std::move(done)});
}

void Engine::split(int comm, int color, int key, Done done) {
  post(Task{[this, comm, color, key](Result& r, MPI_Request*) {
              MPI_Comm out = MPI_COMM_NULL;
              // A negative color means "not in any sub-group" (MPI_UNDEFINED): the caller gets handle -1.
              int rc = MPI_Comm_split(group(comm), color < 0 ? MPI_UNDEFINED : color, key, &out);
              r.error = check_message("split", rc);
              if (!r.error.empty()) return false;
              if (out == MPI_COMM_NULL) {
                r.values[0] = -1;
                return false;
              }
              comms_.push_back(out);
              int rank = 0, size = 0;
              MPI_Comm_rank(out, &rank);
              MPI_Comm_size(out, &size);
              r.values[0] = static_cast<int64_t>(comms_.size() - 1);
              r.values[1] = rank;
              r.values[2] = size;
              return false;
            },
            std::move(done)});
}

void Engine::free_group(int comm, Done done) {
  post(Task{[this, comm](Result& r, MPI_Request*) {
              if (comm == 0) throw std::runtime_error("free: the world group cannot be freed");
              MPI_Comm c = group(comm);
              r.error = check_message("free", MPI_Comm_free(&c));
              comms_[comm] = MPI_COMM_NULL;
              return false;
            },
            std::move(done)});
}

std::string Engine::finalize() {
  std::promise<std::string> result;
  auto fut = result.get_future();
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) return "MPI is finalized already";
    queue_.push_back(Task{[this](Result& r, MPI_Request*) {
                            if (!pending_.empty())
                              r.error = "finalize: " + std::to_string(pending_.size()) +
                                        " send/recv still in flight (await them first)";
                            else
                              r.error = check_message("MPI_Finalize", MPI_Finalize());
                            if (r.error.empty()) {
                              std::lock_guard<std::mutex> lk2(mu_);
                              stop_ = true;
                            }
                            return false;
                          },
                          [&result](Result&& r) { result.set_value(r.error); }});
  }
  cv_.notify_one();
  std::string err = fut.get();
  if (err.empty()) {
    thread_.join();
    finalized_ = true;
  }
  return err;
}

}  // namespace neox::mpi
