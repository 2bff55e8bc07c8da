/*
 * nccl.cc — NCCL collectives for the CUDA backend, loaded at RUN time with dlopen: $FALCON_H1_NCCL_LIBRARY when
 * set (a path), else "libnccl.so.2", then "libnccl.so" (the loader's search path: LD_LIBRARY_PATH, ldconfig). The few C API types and functions used are declared here with NCCL's documented values, so the
 * addon compiles without nccl.h and loads on machines without NCCL; there every operation throws
 * "NCCL is not available: <dlerror>".
 *
 * Context.nccl(op, ...args) — buffers are the Context's ids, dtypes its codes (fh.h), counts are elements:
 *   'available'                                    → {ok, version?, split, reason?} (never throws)
 *   'uniqueId'                                     → Uint8Array(128), ncclGetUniqueId
 *   'init', id: Uint8Array(128), rank, worldSize   → comm handle, ncclCommInitRank on this Context's device
 *   'split', comm, color, key                      → comm handle, ncclCommSplit (throws if this NCCL lacks it)
 *   'count', comm                                  → members, ncclCommCount
 *   'destroy', comm                                   ncclCommDestroy
 *   'allReduce', comm, in, out, count, dtype, op      ncclAllReduce (op: 0 sum, 1 max, 2 min, 3 avg)
 *   'reduceScatter', comm, in, out, recvCount, dtype, op
 *   'allGather', comm, in, out, sendCount, dtype
 *   'broadcast', comm, in, out, count, dtype, root
 *   'send', comm, in, count, dtype, peer / 'recv', comm, out, count, dtype, peer
 *   'groupStart' / 'groupEnd'
 * Every operation is enqueued on the stream the Context gives (its NCCL side stream, comm_stream.h, ordered after
 * the kernels enqueued before the call), out of place, and returns at once; a failure becomes an fh::Error naming the NCCL call, with the communicator's
 * asynchronous error when there is one.
 */
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nccl_collectives.h"

namespace {

// ----------------------------------------------------------------------------------- NCCL's C API (nccl.h)
typedef struct ncclComm* ncclComm_t;
constexpr int kUniqueIdBytes = 128;  // NCCL_UNIQUE_ID_BYTES
struct ncclUniqueId {
  char internal[kUniqueIdBytes];
};
enum ncclResult_t : int { ncclSuccess = 0, ncclInProgress = 7 };  // the others are errors
// ncclDataType_t
enum : int { ncclInt8 = 0, ncclUint8 = 1, ncclInt32 = 2, ncclFloat16 = 6, ncclFloat32 = 7, ncclBfloat16 = 9 };
// ncclRedOp_t
enum : int { ncclSum = 0, ncclMax = 2, ncclMin = 3, ncclAvg = 4 };

using GetUniqueIdFn = ncclResult_t (*)(ncclUniqueId*);
using CommInitRankFn = ncclResult_t (*)(ncclComm_t*, int, ncclUniqueId, int);
using CommDestroyFn = ncclResult_t (*)(ncclComm_t);
using CommSplitFn = ncclResult_t (*)(ncclComm_t, int, int, ncclComm_t*, void* /* ncclConfig_t* */);
using CommCountFn = ncclResult_t (*)(const ncclComm_t, int*);
using AllReduceFn = ncclResult_t (*)(const void*, void*, size_t, int, int, ncclComm_t, cudaStream_t);
using ReduceScatterFn = ncclResult_t (*)(const void*, void*, size_t, int, int, ncclComm_t, cudaStream_t);
using AllGatherFn = ncclResult_t (*)(const void*, void*, size_t, int, ncclComm_t, cudaStream_t);
using BroadcastFn = ncclResult_t (*)(const void*, void*, size_t, int, int, ncclComm_t, cudaStream_t);
using SendRecvFn = ncclResult_t (*)(void*, size_t, int, int, ncclComm_t, cudaStream_t);
using GroupFn = ncclResult_t (*)();
using GetErrorStringFn = const char* (*)(ncclResult_t);
using GetLastErrorFn = const char* (*)(ncclComm_t);
using AsyncErrorFn = ncclResult_t (*)(ncclComm_t, ncclResult_t*);
using GetVersionFn = ncclResult_t (*)(int*);

/** The loaded library: required entry points, and the optional ones (null when this NCCL lacks them). */
struct Nccl {
  void* handle = nullptr;
  std::string error;  // why it is not available
  GetUniqueIdFn getUniqueId = nullptr;
  CommInitRankFn commInitRank = nullptr;
  CommDestroyFn commDestroy = nullptr;
  CommCountFn commCount = nullptr;
  AllReduceFn allReduce = nullptr;
  ReduceScatterFn reduceScatter = nullptr;
  AllGatherFn allGather = nullptr;
  BroadcastFn broadcast = nullptr;
  SendRecvFn send = nullptr;
  SendRecvFn recv = nullptr;
  GroupFn groupStart = nullptr;
  GroupFn groupEnd = nullptr;
  GetErrorStringFn getErrorString = nullptr;
  AsyncErrorFn asyncError = nullptr;
  CommSplitFn commSplit = nullptr;        // NCCL >= 2.18
  GetLastErrorFn getLastError = nullptr;  // NCCL >= 2.13
  GetVersionFn getVersion = nullptr;
};

template <typename F>
bool bind(Nccl& n, F& slot, const char* name, bool required) {
  slot = reinterpret_cast<F>(dlsym(n.handle, name));
  if (slot == nullptr && required) {
    n.error = std::string("libnccl has no ") + name;
    return false;
  }
  return true;
}

/** Loads NCCL once per process; later calls return the same result. */
const Nccl& nccl() {
  static const Nccl loaded = [] {
    Nccl n;
    std::string reasons;
    const char* chosen = std::getenv("FALCON_H1_NCCL_LIBRARY");
    for (const char* name : {chosen, "libnccl.so.2", "libnccl.so"}) {
      if (name == nullptr || *name == '\0') continue;
      n.handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (n.handle) break;
      const char* e = dlerror();
      reasons += (reasons.empty() ? "" : "; ") + std::string(e ? e : name);
    }
    if (!n.handle) {
      n.error = reasons;
      return n;
    }
    bool ok = bind(n, n.getUniqueId, "ncclGetUniqueId", true) && bind(n, n.commInitRank, "ncclCommInitRank", true) &&
              bind(n, n.commDestroy, "ncclCommDestroy", true) && bind(n, n.commCount, "ncclCommCount", true) &&
              bind(n, n.allReduce, "ncclAllReduce", true) && bind(n, n.reduceScatter, "ncclReduceScatter", true) &&
              bind(n, n.allGather, "ncclAllGather", true) && bind(n, n.broadcast, "ncclBroadcast", true) &&
              bind(n, n.send, "ncclSend", true) && bind(n, n.recv, "ncclRecv", true) &&
              bind(n, n.groupStart, "ncclGroupStart", true) && bind(n, n.groupEnd, "ncclGroupEnd", true) &&
              bind(n, n.getErrorString, "ncclGetErrorString", true) &&
              bind(n, n.asyncError, "ncclCommGetAsyncError", true);
    if (!ok) {
      dlclose(n.handle);
      n.handle = nullptr;
      return n;
    }
    bind(n, n.commSplit, "ncclCommSplit", false);
    bind(n, n.getLastError, "ncclGetLastError", false);
    bind(n, n.getVersion, "ncclGetVersion", false);
    return n;
  }();
  return loaded;
}

const Nccl& available() {
  const Nccl& n = nccl();
  if (!n.handle) throw fh::Error("NCCL is not available: " + n.error);
  return n;
}

/** Communicators of this process, addressed by handle (index); destroyed ones are null. */
struct Comm {
  ncclComm_t comm = nullptr;
  int worldSize = 0;
};
std::vector<Comm> comms;

/** Throws "<what>: <NCCL's message> (NCCL error r)[: <last error detail>]" unless r is ncclSuccess. */
void check(const Nccl& n, ncclResult_t r, const char* what, ncclComm_t comm = nullptr) {
  if (r == ncclSuccess) return;
  std::string message = std::string(what) + ": " + n.getErrorString(r) + " (NCCL error " +
                        std::to_string(static_cast<int>(r)) + ")";
  if (n.getLastError) {
    const char* detail = n.getLastError(comm);
    if (detail && *detail) message += ": " + std::string(detail);
  }
  throw fh::Error(message);
}

/** After enqueueing: a failure NCCL detected asynchronously (a peer died, a network error) surfaces here. */
void checkAsync(const Nccl& n, ncclComm_t comm, const char* what) {
  ncclResult_t state = ncclSuccess;
  check(n, n.asyncError(comm, &state), "ncclCommGetAsyncError", comm);
  if (state != ncclSuccess && state != ncclInProgress) check(n, state, what, comm);
}

int64_t integer(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber())
    throw fh::Error("nccl: argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

Comm& commOf(const Napi::CallbackInfo& info, size_t i) {
  const int64_t h = integer(info, i);
  if (h < 0 || static_cast<size_t>(h) >= comms.size() || comms[h].comm == nullptr)
    throw fh::Error("nccl: communicator #" + std::to_string(h) + " does not exist (destroyed or foreign)");
  return comms[h];
}

int ncclType(int64_t dtype) {
  switch (dtype) {
    case fh::F32:
      return ncclFloat32;
    case fh::F16:
      return ncclFloat16;
    case fh::BF16:
      return ncclBfloat16;
    case fh::I32:
      return ncclInt32;
    case fh::U8:
      return ncclUint8;
    default:
      throw fh::Error("nccl: unknown dtype code " + std::to_string(dtype));
  }
}

int ncclOp(int64_t op) {
  static const int ops[] = {ncclSum, ncclMax, ncclMin, ncclAvg};
  if (op < 0 || op > 3) throw fh::Error("nccl: unknown reduction code " + std::to_string(op));
  return ops[op];
}

/** The buffer of argument i, checked to hold at least `elements` of `dtype`. */
void* span(const Napi::CallbackInfo& info, size_t i, const fh::NcclBufferOf& bufferOf, int64_t elements,
           int64_t dtype, const char* what) {
  const fh::NcclBuffer b = bufferOf(integer(info, i));
  const size_t need = static_cast<size_t>(elements) * fh::dtypeSize(static_cast<int>(dtype));
  if (elements < 0 || b.bytes < need)
    throw fh::Error(std::string(what) + ": buffer of " + std::to_string(b.bytes) + " bytes, the operation needs " +
                    std::to_string(need));
  return b.ptr;
}

int64_t addComm(ncclComm_t comm, int worldSize) {
  comms.push_back({comm, worldSize});
  return static_cast<int64_t>(comms.size() - 1);
}

Napi::Value availability(Napi::Env env) {
  const Nccl& n = nccl();
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", n.handle != nullptr);
  if (!n.handle) {
    o.Set("reason", "NCCL is not available: " + n.error);
    return o;
  }
  int version = 0;
  if (n.getVersion && n.getVersion(&version) == ncclSuccess) o.Set("version", version);
  o.Set("split", n.commSplit != nullptr);
  return o;
}

}  // namespace

namespace fh {

// Depth of ncclGroupStart nesting on this thread: a group's operations launch at its last ncclGroupEnd.
static int groupDepth = 0;

Napi::Value ncclCall(const Napi::CallbackInfo& info, const Ctx& ctx, const NcclBufferOf& bufferOf,
                     const NcclStreams& streams) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Error("nccl: argument 0 must be the operation's name");
  const std::string op = info[0].As<Napi::String>().Utf8Value();
  if (op == "available") return availability(env);
  const Nccl& n = available();
  (void)ctx;

  if (op == "uniqueId") {
    ncclUniqueId id;
    check(n, n.getUniqueId(&id), "ncclGetUniqueId");
    Napi::Uint8Array out = Napi::Uint8Array::New(env, kUniqueIdBytes);
    std::memcpy(out.Data(), id.internal, kUniqueIdBytes);
    return out;
  }
  if (op == "init") {
    if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().ByteLength() != kUniqueIdBytes)
      throw Error("ncclCommInitRank: the unique id must be a Uint8Array of 128 bytes");
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    ncclUniqueId id;
    std::memcpy(id.internal, bytes.Data(), kUniqueIdBytes);
    const int rank = static_cast<int>(integer(info, 2)), worldSize = static_cast<int>(integer(info, 3));
    ncclComm_t comm = nullptr;
    check(n, n.commInitRank(&comm, worldSize, id, rank), "ncclCommInitRank");
    return Napi::Number::New(env, static_cast<double>(addComm(comm, worldSize)));
  }
  if (op == "split") {
    if (!n.commSplit) throw Error("ncclCommSplit is not in this NCCL (it needs NCCL 2.18 or newer)");
    Comm& parent = commOf(info, 1);
    ncclComm_t comm = nullptr;
    check(n, n.commSplit(parent.comm, static_cast<int>(integer(info, 2)), static_cast<int>(integer(info, 3)), &comm,
                         nullptr),
          "ncclCommSplit", parent.comm);
    if (comm == nullptr) throw Error("ncclCommSplit: this rank got no communicator (negative color?)");
    int count = 0;
    check(n, n.commCount(comm, &count), "ncclCommCount", comm);
    return Napi::Number::New(env, static_cast<double>(addComm(comm, count)));
  }
  if (op == "destroy") {
    Comm& c = commOf(info, 1);
    ncclComm_t comm = c.comm;
    c = Comm();
    check(n, n.commDestroy(comm), "ncclCommDestroy");
    return env.Undefined();
  }
  if (op == "groupStart") {
    check(n, n.groupStart(), "ncclGroupStart");
    groupDepth++;
    return env.Undefined();
  }
  if (op == "groupEnd") {
    if (groupDepth > 0) groupDepth--;
    check(n, n.groupEnd(), "ncclGroupEnd");
    if (groupDepth == 0) streams.after();
    return env.Undefined();
  }

  Comm& c = commOf(info, 1);
  const int64_t w = c.worldSize;
  if (op == "count") return Napi::Number::New(env, static_cast<double>(w));
  cudaStream_t stream = streams.before();
  if (op == "allReduce") {
    const int64_t count = integer(info, 4), dtype = integer(info, 5);
    const void* in = span(info, 2, bufferOf, count, dtype, "ncclAllReduce input");
    void* out = span(info, 3, bufferOf, count, dtype, "ncclAllReduce output");
    check(n, n.allReduce(in, out, count, ncclType(dtype), ncclOp(integer(info, 6)), c.comm, stream), "ncclAllReduce",
          c.comm);
    checkAsync(n, c.comm, "ncclAllReduce");
  } else if (op == "reduceScatter") {
    const int64_t count = integer(info, 4), dtype = integer(info, 5);
    const void* in = span(info, 2, bufferOf, count * w, dtype, "ncclReduceScatter input");
    void* out = span(info, 3, bufferOf, count, dtype, "ncclReduceScatter output");
    check(n, n.reduceScatter(in, out, count, ncclType(dtype), ncclOp(integer(info, 6)), c.comm, stream),
          "ncclReduceScatter", c.comm);
    checkAsync(n, c.comm, "ncclReduceScatter");
  } else if (op == "allGather") {
    const int64_t count = integer(info, 4), dtype = integer(info, 5);
    const void* in = span(info, 2, bufferOf, count, dtype, "ncclAllGather input");
    void* out = span(info, 3, bufferOf, count * w, dtype, "ncclAllGather output");
    check(n, n.allGather(in, out, count, ncclType(dtype), c.comm, stream), "ncclAllGather", c.comm);
    checkAsync(n, c.comm, "ncclAllGather");
  } else if (op == "broadcast") {
    const int64_t count = integer(info, 4), dtype = integer(info, 5), root = integer(info, 6);
    if (root < 0 || root >= w) throw Error("ncclBroadcast: root " + std::to_string(root) + " is outside the group");
    const void* in = span(info, 2, bufferOf, count, dtype, "ncclBroadcast input");
    void* out = span(info, 3, bufferOf, count, dtype, "ncclBroadcast output");
    check(n, n.broadcast(in, out, count, ncclType(dtype), static_cast<int>(root), c.comm, stream), "ncclBroadcast",
          c.comm);
    checkAsync(n, c.comm, "ncclBroadcast");
  } else if (op == "send" || op == "recv") {
    const bool isSend = op == "send";
    const char* what = isSend ? "ncclSend" : "ncclRecv";
    const int64_t count = integer(info, 3), dtype = integer(info, 4), peer = integer(info, 5);
    if (peer < 0 || peer >= w)
      throw Error(std::string(what) + ": peer " + std::to_string(peer) + " is outside the group");
    void* buffer = span(info, 2, bufferOf, count, dtype, what);
    check(n, (isSend ? n.send : n.recv)(buffer, count, ncclType(dtype), static_cast<int>(peer), c.comm, stream), what,
          c.comm);
    checkAsync(n, c.comm, what);
  } else {
    throw Error("nccl: unknown operation '" + op + "'");
  }
  if (groupDepth == 0) streams.after();
  return env.Undefined();
}

}  // namespace fh
