// neox_mpi.node: the Node-API face of kernels/mpi (the MPI engine). A separate addon from
// neox_kernels.node so that the kernels load on machines without Open MPI; packages/kernels/src/mpi.ts
// loads it on demand.
//
// Every operation returns a Promise. The engine thread finishes the operation and hands a Completion
// to a thread-safe function, which settles the Promise on the JS thread. The thread-safe function is
// referenced only while operations are in flight, so an idle process group never keeps Node alive.
#include <memory>
#include <string>
#include <vector>

#include "../native/registry.h"
#include "mpi/engine.h"

namespace {

using neox::mpi::Dtype;
using neox::mpi::Engine;
using neox::mpi::Reduce;
using neox::mpi::Result;
using neox::napi::Args;
using neox::napi::call;

struct Completion {
  napi_deferred deferred;
  Result result;
  bool with_group;  // resolve with {handle, rank, size} (split) instead of undefined
};

napi_threadsafe_function g_tsfn = nullptr;
int64_t g_in_flight = 0;  // JS thread only

void settle(napi_env env, napi_value, void*, void* data) {
  std::unique_ptr<Completion> c(static_cast<Completion*>(data));
  if (--g_in_flight == 0 && g_tsfn) napi_unref_threadsafe_function(env, g_tsfn);
  if (env == nullptr) return;  // the environment is shutting down
  if (!c->result.error.empty()) {
    napi_value msg, err;
    napi_create_string_utf8(env, c->result.error.data(), c->result.error.size(), &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, c->deferred, err);
    return;
  }
  napi_value value;
  if (c->with_group) {
    napi_create_object(env, &value);
    napi_set_named_property(env, value, "handle", neox::napi::number(env, static_cast<double>(c->result.values[0])));
    napi_set_named_property(env, value, "rank", neox::napi::number(env, static_cast<double>(c->result.values[1])));
    napi_set_named_property(env, value, "size", neox::napi::number(env, static_cast<double>(c->result.values[2])));
  } else {
    napi_get_undefined(env, &value);
  }
  napi_resolve_deferred(env, c->deferred, value);
}

Engine& engine(const Args& a) {
  Engine* e = Engine::instance();
  if (!e) throw std::runtime_error(std::string(a.name) + ": MPI is not initialised (call mpiInit first)");
  if (e->finalized()) throw std::runtime_error(std::string(a.name) + ": MPI is finalized");
  return *e;
}

// Creates the Promise and the completion callback the engine calls on its thread.
template <class Start>
napi_value launch(napi_env env, const Args& a, bool with_group, Start&& start) {
  Engine& e = engine(a);
  auto* c = new Completion{nullptr, {}, with_group};
  napi_value promise;
  napi_create_promise(env, &c->deferred, &promise);
  if (g_in_flight++ == 0) napi_ref_threadsafe_function(env, g_tsfn);
  start(e, [c](Result&& r) {
    c->result = std::move(r);
    napi_call_threadsafe_function(g_tsfn, c, napi_tsfn_nonblocking);
  });
  return promise;
}

Dtype dtype(const Args& a, size_t i) {
  std::string s = a.str(i);
  if (s == "f32") return Dtype::F32;
  if (s == "bf16") return Dtype::BF16;
  a.fail(i, "must be \"f32\" or \"bf16\", got \"" + s + "\"");
}

Reduce reduce_op(const Args& a, size_t i) {
  std::string s = a.str(i);
  if (s == "sum") return Reduce::Sum;
  if (s == "avg") return Reduce::Avg;
  a.fail(i, "must be \"sum\" or \"avg\", got \"" + s + "\"");
}

int int_arg(const Args& a, size_t i) {
  int64_t v = a.i64(i);
  if (v < INT32_MIN || v > INT32_MAX) a.fail(i, "must fit a 32-bit int, got " + std::to_string(v));
  return static_cast<int>(v);
}

void cleanup(void*) {
  // A process that exits without finalizing would make mpirun report an abnormal exit.
  Engine* e = Engine::instance();
  if (e && !e->finalized()) e->finalize();
}

napi_value mpiInit(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiInit", 0, [&](const Args&) {
    neox::mpi::WorldInfo w;
    Engine::start(&w);
    napi_value name;
    napi_create_string_utf8(env, "neox_mpi_completion", NAPI_AUTO_LENGTH, &name);
    napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, settle, &g_tsfn);
    napi_unref_threadsafe_function(env, g_tsfn);
    napi_add_env_cleanup_hook(env, cleanup, nullptr);
    napi_value out;
    napi_create_object(env, &out);
    napi_set_named_property(env, out, "rank", neox::napi::number(env, w.rank));
    napi_set_named_property(env, out, "size", neox::napi::number(env, w.size));
    napi_set_named_property(env, out, "threadLevel", neox::napi::number(env, w.thread_level));
    napi_set_named_property(env, out, "library", neox::napi::string(env, w.library));
    return out;
  });
}

napi_value mpiFinalize(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiFinalize", 0, [&](const Args& a) {
    std::string err = engine(a).finalize();
    if (!err.empty()) throw std::runtime_error("mpiFinalize: " + err);
  });
}

// (comm, buf, count, dtype, op)
napi_value mpiAllReduce(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiAllReduce", 5, [&](const Args& a) {
    int comm = int_arg(a, 0);
    void* buf = a.ptr<void>(1);
    int64_t n = a.size(2);
    Dtype t = dtype(a, 3);
    Reduce op = reduce_op(a, 4);
    return launch(env, a, false, [&](Engine& e, auto done) { e.all_reduce(comm, buf, n, t, op, done); });
  });
}

// (comm, send, recv, countPerRank, dtype, op)
napi_value mpiReduceScatter(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiReduceScatter", 6, [&](const Args& a) {
    int comm = int_arg(a, 0);
    const void* send = a.ptr<const void>(1);
    void* recv = a.ptr<void>(2);
    int64_t n = a.size(3);
    Dtype t = dtype(a, 4);
    Reduce op = reduce_op(a, 5);
    return launch(env, a, false, [&](Engine& e, auto done) { e.reduce_scatter(comm, send, recv, n, t, op, done); });
  });
}

// (comm, send, recv, counts: number[], dtype, op, accumulate, discard)
napi_value mpiReduceScatterV(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiReduceScatterV", 8, [&](const Args& a) {
    int comm = int_arg(a, 0);
    void* send = a.ptr<void>(1);
    void* recv = a.ptr<void>(2);
    bool is_array = false;
    if (a.argc <= 3 || napi_is_array(env, a.argv[3], &is_array) != napi_ok || !is_array)
      a.fail(3, "must be an array of element counts, one per rank");
    uint32_t n = 0;
    napi_get_array_length(env, a.argv[3], &n);
    std::vector<int64_t> counts(n);
    for (uint32_t i = 0; i < n; ++i) {
      napi_value v;
      double x = -1;
      napi_get_element(env, a.argv[3], i, &v);
      if (napi_get_value_double(env, v, &x) != napi_ok || !(x >= 0) || x != static_cast<double>(static_cast<int64_t>(x)))
        a.fail(3, "must hold non-negative integer counts (entry " + std::to_string(i) + ")");
      counts[i] = static_cast<int64_t>(x);
    }
    Dtype t = dtype(a, 4);
    Reduce op = reduce_op(a, 5);
    bool accumulate = a.boolean(6);
    bool discard = a.boolean(7);
    return launch(env, a, false, [&](Engine& e, auto done) {
      e.reduce_scatter_v(comm, send, recv, std::move(counts), t, op, accumulate, discard, done);
    });
  });
}

// Blocks the JS thread until every operation issued before has finished on the engine thread (their
// promises settle later, on the event loop).
napi_value mpiDrain(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiDrain", 0, [&](const Args& a) { engine(a).drain(); });
}

// (comm, send, recv, countPerRank, dtype)
napi_value mpiAllGather(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiAllGather", 5, [&](const Args& a) {
    int comm = int_arg(a, 0);
    const void* send = a.ptr<const void>(1);
    void* recv = a.ptr<void>(2);
    int64_t n = a.size(3);
    Dtype t = dtype(a, 4);
    return launch(env, a, false, [&](Engine& e, auto done) { e.all_gather(comm, send, recv, n, t, done); });
  });
}

// (comm, buf, count, dtype, root)
napi_value mpiBroadcast(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiBroadcast", 5, [&](const Args& a) {
    int comm = int_arg(a, 0);
    void* buf = a.ptr<void>(1);
    int64_t n = a.size(2);
    Dtype t = dtype(a, 3);
    int root = int_arg(a, 4);
    return launch(env, a, false, [&](Engine& e, auto done) { e.broadcast(comm, buf, n, t, root, done); });
  });
}

// (comm, buf, count, dtype, peer, tag): send when `is_send`, else recv.
template <bool is_send>
napi_value p2p(napi_env env, napi_callback_info info) {
  const char* name = is_send ? "mpiSend" : "mpiRecv";
  return call(env, info, name, 6, [&](const Args& a) {
    int comm = int_arg(a, 0);
    void* buf = a.ptr<void>(1);
    int64_t n = a.size(2);
    Dtype t = dtype(a, 3);
    int peer = int_arg(a, 4);
    int tag = int_arg(a, 5);
    return launch(env, a, false, [&](Engine& e, auto done) {
      if (is_send)
        e.send(comm, buf, n, t, peer, tag, done);
      else
        e.recv(comm, buf, n, t, peer, tag, done);
    });
  });
}

napi_value mpiBarrier(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiBarrier", 1, [&](const Args& a) {
    int comm = int_arg(a, 0);
    return launch(env, a, false, [&](Engine& e, auto done) { e.barrier(comm, done); });
  });
}

// (comm, color, key) -> {handle, rank, size}; handle -1 for a negative color (no sub-group).
napi_value mpiSplit(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiSplit", 3, [&](const Args& a) {
    int comm = int_arg(a, 0);
    int color = int_arg(a, 1);
    int key = int_arg(a, 2);
    return launch(env, a, true, [&](Engine& e, auto done) { e.split(comm, color, key, done); });
  });
}

napi_value mpiFreeGroup(napi_env env, napi_callback_info info) {
  return call(env, info, "mpiFreeGroup", 1, [&](const Args& a) {
    int comm = int_arg(a, 0);
    return launch(env, a, false, [&](Engine& e, auto done) { e.free_group(comm, done); });
  });
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"mpiInit", nullptr, mpiInit, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiFinalize", nullptr, mpiFinalize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiAllReduce", nullptr, mpiAllReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiReduceScatter", nullptr, mpiReduceScatter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiReduceScatterV", nullptr, mpiReduceScatterV, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiDrain", nullptr, mpiDrain, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiAllGather", nullptr, mpiAllGather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiBroadcast", nullptr, mpiBroadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiSend", nullptr, p2p<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiRecv", nullptr, p2p<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiBarrier", nullptr, mpiBarrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiSplit", nullptr, mpiSplit, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mpiFreeGroup", nullptr, mpiFreeGroup, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
