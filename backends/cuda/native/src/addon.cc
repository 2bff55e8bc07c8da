/*
 * addon.cc — the N-API surface of @falcon-h1/backend-cuda (node-addon-api). Mirrored by hand in src/binding.ts.
 *
 * Module exports:
 *   probe()           {ok, devices, reason?, runtimeVersion, driverVersion, matmul}: never throws
 *   Context(device)   one backend instance: a CUDA stream, a caching device allocator, a pinned readback pool,
 *                     cuBLASLt, and a table of buffers addressed by integer ids.
 * Context methods:
 *   memory    alloc(bytes) → id, free(id), write(id, typedArray), read(id) → Promise<ArrayBuffer> (resolved when the
 *             D2H copy's event completes, waited on by a worker thread), readSync(id), copy (Copy kernel),
 *             synchronize() → Promise, memory(), info(), dispose()
 *   kernels   one method per contract kernel, named after it (Neg, Add, MatMul, SsmScan, ...), taking buffer ids
 *             (-1 for an absent optional input), the dtype code and sizes. Launches are asynchronous.
 *   nccl      nccl(op, ...): NCCL collectives on this context's stream, buffers by id (nccl.cc; NCCL loaded at run time)
 * Every CUDA / cuBLASLt error becomes a JavaScript Error naming the call; device-side index errors (Gather,
 * ScatterAdd, CrossEntropy labels) are reported by the next read / readSync / synchronize.
 */
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/adamw.cuh"
#include "../kernels/adamw_multi.cuh"
#include "../kernels/add_rms_norm.cuh"
#include "../kernels/cache_write.cuh"
#include "../kernels/attention.cuh"
#include "../kernels/attention_decode_step.cuh"
#include "../kernels/causal_conv1d.cuh"
#include "../kernels/elementwise.cuh"
#include "../kernels/layout.cuh"
#include "../kernels/linear_cross_entropy.cuh"
#include "../kernels/mat_mul.cuh"
#include "../kernels/mat_vec.cuh"
#include "../kernels/parallel_mixers_decode_step.cuh"
#include "../kernels/reduce.cuh"
#include "../kernels/rms_norm.cuh"
#include "../kernels/rope.cuh"
#include "../kernels/skinny_gemm.cuh"
#include "../kernels/softmax.cuh"
#include "../kernels/ssm_decode_step.cuh"
#include "../kernels/ssm_scan.cuh"
#include "../kernels/swi_glu.cuh"
#include "allocator.h"
#include "fh.h"
#include "comm_stream.h"
#include "nccl_collectives.h"

namespace {

using fh::check;

std::string errorSlotMessage(const fh::ErrorSlot& e) {
  const std::string a = std::to_string(e.a), b = std::to_string(e.b), c = std::to_string(e.c);
  switch (e.code) {
    case fh::kErrGatherIndex:
      return "Gather: index " + a + " at position " + b + " is out of range [0, " + c + ")";
    case fh::kErrScatterIndex:
      return "ScatterAdd: index " + a + " at position " + b + " is out of range [0, " + c + ")";
    case fh::kErrLabel:
      return "CrossEntropy: label " + a + " of row " + b + " is out of range [0, " + c + ")";
    default:
      return "device error code " + std::to_string(e.code);
  }
}

/**
 * FALCON_H1_CUDA_PDL=off: no Programmatic Dependent Launch even on sm_90+ (A/B runs; kernels/pdl_launch.cuh), read
 * as mat_vec.cu reads FALCON_H1_CUDA_GEMV=off.
 */
bool pdlSwitchedOff() {
  const char* v = std::getenv("FALCON_H1_CUDA_PDL");
  return v != nullptr && std::string(v) == "off";
}

class Context;

/** Waits (on a worker thread) for an event, then finishes a read or a synchronize on the main thread. */
class EventWorker : public Napi::AsyncWorker {
 public:
  /** isRead: resolve with an ArrayBuffer of `bytes` copied from `host`; else resolve with undefined. */
  EventWorker(Napi::Env env, Context* owner, cudaEvent_t event, bool isRead, void* host, size_t capacity,
              size_t bytes);
  ~EventWorker() override;
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Context* owner_;
  cudaEvent_t event_;
  bool isRead_;
  void* host_;
  size_t capacity_;
  size_t bytes_;
  int device_;
  Napi::Promise::Deferred deferred_;
};

class Context : public Napi::ObjectWrap<Context> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Context(const Napi::CallbackInfo& info);
  ~Context() override { release(); }

  // Used by EventWorker.
  int device() const { return ctx_.device; }
  std::string takeDeviceError() {
    if (ctx_.errHost == nullptr || ctx_.errHost->code == 0) return std::string();
    std::string message = errorSlotMessage(*ctx_.errHost);
    std::memset(ctx_.errHost, 0, sizeof(fh::ErrorSlot));
    return message;
  }
  void finishEvent(cudaEvent_t event, void* host, size_t capacity) {
    if (event) events_.push_back(event);
    if (host) pinned_->release(host, capacity);
    pending_--;
    if (disposed_ && pending_ == 0) freeAll();
  }

 private:
  struct Buffer {
    void* ptr = nullptr;
    size_t bytes = 0;
    size_t capacity = 0;
    bool live = false;
    bool commPending = false;  // a collective on the NCCL side stream may still read or write it (comm_stream.h)
  };

  // ------------------------------------------------------------------------------------------- helpers
  /**
   * Runs a call's body, fh::Error and CUDA failures becoming JavaScript errors. The call may enqueue stream work:
   * unless its body recorded what that work writes, the PDL write record becomes unknown (src/pdl_writes.h).
   */
  template <typename F>
  Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
    return runCall(info, true, body);
  }
  /** As guarded, for calls that enqueue nothing on the stream (alloc, free, counters): the write record stays. */
  template <typename F>
  Napi::Value guardedHost(const Napi::CallbackInfo& info, F&& body) {
    return runCall(info, false, body);
  }
  template <typename F>
  Napi::Value runCall(const Napi::CallbackInfo& info, bool enqueues, F& body) {
    try {
      if (disposed_) throw fh::Error("the CUDA backend was disposed");
      check(cudaSetDevice(ctx_.device), "cudaSetDevice");
      if (enqueues) ctx_.lastWrites.beginCall();
      Napi::Value result = body();
      if (enqueues) ctx_.lastWrites.endCall(true);
      return result;
    } catch (const Napi::Error&) {
      if (enqueues) ctx_.lastWrites.endCall(false);
      throw;
    } catch (const std::exception& e) {
      if (enqueues) ctx_.lastWrites.endCall(false);
      throw Napi::Error::New(info.Env(), e.what());
    }
  }
  static int64_t i64(const Napi::CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsNumber())
      throw fh::Error("argument " + std::to_string(i) + " must be a number");
    return info[i].As<Napi::Number>().Int64Value();
  }
  static double f64(const Napi::CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsNumber())
      throw fh::Error("argument " + std::to_string(i) + " must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  }
  static bool flag(const Napi::CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsBoolean())
      throw fh::Error("argument " + std::to_string(i) + " must be a boolean");
    return info[i].As<Napi::Boolean>().Value();
  }
  static std::vector<int64_t> list(const Napi::CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsArray())
      throw fh::Error("argument " + std::to_string(i) + " must be an array");
    Napi::Array a = info[i].As<Napi::Array>();
    std::vector<int64_t> out(a.Length());
    for (uint32_t k = 0; k < a.Length(); ++k) out[k] = a.Get(k).As<Napi::Number>().Int64Value();
    return out;
  }
  static std::vector<double> doubles(const Napi::CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsArray())
      throw fh::Error("argument " + std::to_string(i) + " must be an array");
    Napi::Array a = info[i].As<Napi::Array>();
    std::vector<double> out(a.Length());
    for (uint32_t k = 0; k < a.Length(); ++k) out[k] = a.Get(k).As<Napi::Number>().DoubleValue();
    return out;
  }
  static fh::Shape shapeArg(const Napi::CallbackInfo& info, size_t i) {
    std::vector<int64_t> v = list(info, i);
    if (v.size() > static_cast<size_t>(fh::kMaxRank))
      throw fh::Error("rank " + std::to_string(v.size()) + " is above " + std::to_string(fh::kMaxRank));
    fh::Shape s{};
    s.rank = static_cast<int>(v.size());
    for (size_t k = 0; k < v.size(); ++k) s.dim[k] = v[k];
    return s;
  }
  static fh::Strides stridesArg(const Napi::CallbackInfo& info, size_t i) {
    std::vector<int64_t> v = list(info, i);
    if (v.size() > static_cast<size_t>(fh::kMaxRank)) throw fh::Error("too many strides");
    fh::Strides s{};
    for (size_t k = 0; k < v.size(); ++k) s.s[k] = v[k];
    return s;
  }
  /** Buffer id, without waiting for collectives (NCCL's own calls, frees). */
  Buffer& liveBuffer(int64_t id) {
    if (id < 0 || static_cast<size_t>(id) >= buffers_.size() || !buffers_[id].live)
      throw fh::Error("buffer #" + std::to_string(id) + " is not alive in the CUDA backend (disposed or foreign)");
    return buffers_[id];
  }
  /** Buffer id for work on the compute stream: first joins the NCCL side stream if a collective still uses it. */
  Buffer& buffer(int64_t id) {
    Buffer& b = liveBuffer(id);
    if (b.commPending) joinComm();
    return b;
  }
  /**
   * The compute stream waits for every collective issued so far; the buffers they used are then ordinary again,
   * and the blocks freed meanwhile go back to the allocator (stream-ordered after the collectives from now on).
   */
  void joinComm() {
    if (!comm_.unjoined() && commIds_.empty() && commFreed_.empty()) return;
    comm_.join(ctx_.stream);
    ctx_.lastWrites.forget();  // the collectives wrote what they wrote: no read before a PDL wait
    for (uint32_t id : commIds_)
      if (id < buffers_.size()) buffers_[id].commPending = false;
    commIds_.clear();
    for (auto& block : commFreed_) alloc_->release(block.first, block.second);
    commFreed_.clear();
  }
  /** Device pointer of buffer id (argument i); -1 means an absent optional input (nullptr). */
  void* ptr(const Napi::CallbackInfo& info, size_t i) {
    int64_t id = i64(info, i);
    if (id == -1) return nullptr;
    return buffer(id).ptr;
  }
  template <typename T>
  T* as(const Napi::CallbackInfo& info, size_t i) {
    return static_cast<T*>(ptr(info, i));
  }
  static int op(const Napi::CallbackInfo& info) { return static_cast<int>(reinterpret_cast<intptr_t>(info.Data())); }

  cudaEvent_t recordEvent() {
    cudaEvent_t event;
    if (!events_.empty()) {
      event = events_.back();
      events_.pop_back();
    } else {
      check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    }
    check(cudaEventRecord(event, ctx_.stream), "cudaEventRecord");
    return event;
  }

  void freeAll() {
    if (freed_) return;
    freed_ = true;
    cudaSetDevice(ctx_.device);
    if (capturing_) {
      cudaGraph_t abandoned = nullptr;
      cudaStreamEndCapture(ctx_.stream, &abandoned);
      if (abandoned) cudaGraphDestroy(abandoned);
      alloc_->endHold();
      capturing_ = false;
    }
    if (ctx_.stream) cudaStreamSynchronize(ctx_.stream);
    comm_.destroy();  // synchronises the NCCL side stream first
    for (auto& block : commFreed_) alloc_->release(block.first, block.second);
    commFreed_.clear();
    commIds_.clear();
    for (auto& g : graphs_)
      if (g) destroyGraph(*g);
    graphs_.clear();
    fh::matmulDestroy(ctx_);
    for (Buffer& b : buffers_) {
      if (b.live && b.ptr) alloc_->release(b.ptr, b.capacity);
      b.live = false;
    }
    buffers_.clear();
    liveBytes_ = 0;
    liveBuffers_ = 0;
    alloc_.reset();
    pinned_.reset();
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    events_.clear();
    for (cudaEvent_t e : timing_) cudaEventDestroy(e);
    timing_.clear();
    timingUsed_ = 0;
    if (ctx_.errHost) cudaFreeHost(ctx_.errHost);
    ctx_.errHost = nullptr;
    ctx_.errDevice = nullptr;
    if (ctx_.forkEvent) cudaEventDestroy(ctx_.forkEvent);
    if (ctx_.joinEvent) cudaEventDestroy(ctx_.joinEvent);
    if (ctx_.sideStream) cudaStreamDestroy(ctx_.sideStream);
    ctx_.forkEvent = ctx_.joinEvent = nullptr;
    ctx_.sideStream = nullptr;
    if (ctx_.stream) cudaStreamDestroy(ctx_.stream);
    ctx_.stream = nullptr;
  }
  void release() {
    disposed_ = true;
    if (pending_ == 0) freeAll();
  }

  // ------------------------------------------------------------------------------------------- memory
  Napi::Value Alloc(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      const int64_t bytes = i64(info, 0);
      if (bytes < 0) throw fh::Error("alloc: negative size");
      Buffer b;
      b.ptr = alloc_->allocate(static_cast<size_t>(bytes), &b.capacity);
      b.bytes = static_cast<size_t>(bytes);
      b.live = true;
      uint32_t id;
      if (!freeIds_.empty()) {
        id = freeIds_.back();
        freeIds_.pop_back();
        buffers_[id] = b;
      } else {
        id = static_cast<uint32_t>(buffers_.size());
        buffers_.push_back(b);
      }
      liveBytes_ += b.bytes;
      liveBuffers_++;
      if (liveBytes_ > peakBytes_) peakBytes_ = liveBytes_;
      return Napi::Number::New(info.Env(), id);
    });
  }
  Napi::Value Free(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      const int64_t id = i64(info, 0);
      Buffer& b = liveBuffer(id);
      if (b.commPending)
        commFreed_.emplace_back(b.ptr, b.capacity);  // a collective still uses it: reusable after the next join
      else
        alloc_->release(b.ptr, b.capacity);  // stream-ordered: later work on this stream may reuse it at once
      liveBytes_ -= b.bytes;
      liveBuffers_--;
      b = Buffer();
      freeIds_.push_back(static_cast<uint32_t>(id));
      return info.Env().Undefined();
    });
  }
  Napi::Value Write(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("write (an upload)");
      Buffer& b = buffer(i64(info, 0));
      if (info.Length() < 2 || !info[1].IsTypedArray()) throw fh::Error("write: argument 1 must be a typed array");
      Napi::TypedArray array = info[1].As<Napi::TypedArray>();
      const size_t bytes = array.ByteLength();
      if (bytes != b.bytes)
        throw fh::Error("write: " + std::to_string(bytes) + " bytes given for a buffer of " + std::to_string(b.bytes));
      if (bytes == 0) return info.Env().Undefined();
      const uint8_t* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
      // Pageable source: the runtime has consumed it when the call returns.
      check(cudaMemcpyAsync(b.ptr, src, bytes, cudaMemcpyHostToDevice, ctx_.stream), "cudaMemcpyAsync(host→device)");
      return info.Env().Undefined();
    });
  }
  Napi::Value Read(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("read (a download)");
      Buffer& b = buffer(i64(info, 0));
      size_t capacity = 0;
      void* host = pinned_->allocate(b.bytes, &capacity);
      if (b.bytes > 0)
        check(cudaMemcpyAsync(host, b.ptr, b.bytes, cudaMemcpyDeviceToHost, ctx_.stream), "cudaMemcpyAsync(device→host)");
      cudaEvent_t event = recordEvent();
      auto* worker = new EventWorker(info.Env(), this, event, true, host, capacity, b.bytes);
      pending_++;
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    });
  }
  Napi::Value ReadSync(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("readSync (a download)");
      Buffer& b = buffer(i64(info, 0));
      Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), b.bytes);
      if (b.bytes > 0)
        check(cudaMemcpyAsync(out.Data(), b.ptr, b.bytes, cudaMemcpyDeviceToHost, ctx_.stream),
              "cudaMemcpyAsync(device→host)");
      check(cudaStreamSynchronize(ctx_.stream), "cudaStreamSynchronize");
      std::string deviceError = takeDeviceError();
      if (!deviceError.empty()) throw fh::Error(deviceError);
      return out;
    });
  }
  Napi::Value Synchronize(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("synchronize");
      joinComm();
      cudaEvent_t event = recordEvent();
      auto* worker = new EventWorker(info.Env(), this, event, false, nullptr, 0, 0);
      pending_++;
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    });
  }
  Napi::Value SynchronizeSync(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("synchronize");
      joinComm();
      check(cudaStreamSynchronize(ctx_.stream), "cudaStreamSynchronize");
      std::string deviceError = takeDeviceError();
      if (!deviceError.empty()) throw fh::Error(deviceError);
      return info.Env().Undefined();
    });
  }
  Napi::Value Memory(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      Napi::Object o = Napi::Object::New(info.Env());
      const fh::PoolStats& s = alloc_->stats();
      o.Set("buffers", static_cast<double>(liveBuffers_));
      o.Set("bytes", static_cast<double>(liveBytes_));
      o.Set("peakBytes", static_cast<double>(peakBytes_));
      o.Set("reservedBytes", static_cast<double>(s.reservedBytes));
      o.Set("cachedBytes", static_cast<double>(s.cachedBytes));
      o.Set("mallocCalls", static_cast<double>(s.mallocCalls));
      o.Set("reuses", static_cast<double>(s.reuses));
      int64_t lt = 0, fb = 0, mv = 0, sg = 0;
      fh::matmulCounts(ctx_, &lt, &fb, &mv, &sg);
      o.Set("gemmCublasLt", static_cast<double>(lt));
      o.Set("gemmFallback", static_cast<double>(fb));
      o.Set("gemmMatVec", static_cast<double>(mv));
      o.Set("gemmMatVecPrefetch", static_cast<double>(ctx_.earlyWeightLoads));
      o.Set("ssmDecodeEarlyParameters", static_cast<double>(ctx_.earlySsmParameters));
      o.Set("gemmSkinny", static_cast<double>(sg));
      return o;
    });
  }
  Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("emptyCache");
      joinComm();
      check(cudaStreamSynchronize(ctx_.stream), "cudaStreamSynchronize");
      alloc_->emptyCache();
      return info.Env().Undefined();
    });
  }
  Napi::Value Info(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("device", ctx_.device);
      o.Set("name", deviceName_);
      o.Set("computeCapability", ccMajor_ * 10 + ccMinor_);
      o.Set("multiprocessors", ctx_.smCount);
      o.Set("totalMemory", static_cast<double>(totalMemory_));
      o.Set("maxSharedPerBlock", static_cast<double>(ctx_.maxSharedPerBlockOptin));
      o.Set("matmul", fh::matmulEngine());
      o.Set("pdl", ctx_.pdl);
      return o;
    });
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (!disposed_) release();
    return info.Env().Undefined();
  }

  // ------------------------------------------------------------------------------------------- kernels
  Napi::Value Unary(const Napi::CallbackInfo& info) {  // (out, x, dtype, n)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchUnary(ctx_, op(info), int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3));
      return info.Env().Undefined();
    });
  }
  Napi::Value Binary(const Napi::CallbackInfo& info) {  // (out, a, b, dtype, n, shape, aStrides, bStrides)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchBinary(ctx_, op(info), int(i64(info, 3)), ptr(info, 0), ptr(info, 1), ptr(info, 2), i64(info, 4),
                       shapeArg(info, 5), stridesArg(info, 6), stridesArg(info, 7));
      return info.Env().Undefined();
    });
  }
  Napi::Value Compare(const Napi::CallbackInfo& info) {  // as Binary, out u8
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCompare(ctx_, op(info), int(i64(info, 3)), as<uint8_t>(info, 0), ptr(info, 1), ptr(info, 2),
                        i64(info, 4), shapeArg(info, 5), stridesArg(info, 6), stridesArg(info, 7));
      return info.Env().Undefined();
    });
  }
  Napi::Value Where(const Napi::CallbackInfo& info) {  // (out, cond, a, b, dtype, n, shape, cSt, aSt, bSt)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchWhere(ctx_, int(i64(info, 4)), ptr(info, 0), as<uint8_t>(info, 1), ptr(info, 2), ptr(info, 3),
                      i64(info, 5), shapeArg(info, 6), stridesArg(info, 7), stridesArg(info, 8), stridesArg(info, 9));
      return info.Env().Undefined();
    });
  }
  Napi::Value Scale(const Napi::CallbackInfo& info) {  // (out, x, dtype, n, scale, shift)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchScale(ctx_, int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3), f64(info, 4), f64(info, 5));
      return info.Env().Undefined();
    });
  }
  Napi::Value Clamp(const Napi::CallbackInfo& info) {  // (out, x, dtype, n, min, max)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchClamp(ctx_, int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3), f64(info, 4), f64(info, 5));
      return info.Env().Undefined();
    });
  }
  Napi::Value Reduce(const Napi::CallbackInfo& info) {
    // (out, x, dtype, outCount, keptShape, keptStrides, redCount, redShape, redStrides)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchReduce(ctx_, op(info), int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3), shapeArg(info, 4),
                       stridesArg(info, 5), i64(info, 6), shapeArg(info, 7), stridesArg(info, 8));
      return info.Env().Undefined();
    });
  }
  Napi::Value ArgMax(const Napi::CallbackInfo& info) {  // (out, x, dtype, outer, n, inner)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchArgMax(ctx_, int(i64(info, 2)), as<int32_t>(info, 0), ptr(info, 1), i64(info, 3), i64(info, 4),
                       i64(info, 5));
      return info.Env().Undefined();
    });
  }
  Napi::Value CumSum(const Napi::CallbackInfo& info) {  // (out, x, dtype, outer, n, inner, exclusive, reverse)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCumSum(ctx_, int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3), i64(info, 4), i64(info, 5),
                       flag(info, 6), flag(info, 7));
      return info.Env().Undefined();
    });
  }
  Napi::Value MatMul(const Napi::CallbackInfo& info) {
    // (out, a, b, dtype, M, N, K, transA, transB, batch, strideA, strideB, strideC, outerA[], outerB[])
    return guarded(info, [&]() -> Napi::Value {
      fh::GemmArgs g{int(i64(info, 3)), flag(info, 7),   flag(info, 8),   i64(info, 4),  i64(info, 5),
                     i64(info, 6),      i64(info, 9),    i64(info, 10),   i64(info, 11), i64(info, 12)};
      std::vector<int64_t> outerA = list(info, 13), outerB = list(info, 14);
      if (outerA.size() != outerB.size()) throw fh::Error("MatMul: outer offset lists differ in length");
      fh::launchMatMul(ctx_, g, ptr(info, 0), ptr(info, 1), ptr(info, 2), outerA.data(), outerB.data(),
                       static_cast<int64_t>(outerA.size()));
      return info.Env().Undefined();
    });
  }
  Napi::Value Cast(const Napi::CallbackInfo& info) {  // (out, x, srcDtype, dstDtype, n)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCast(ctx_, int(i64(info, 2)), int(i64(info, 3)), ptr(info, 0), ptr(info, 1), i64(info, 4));
      return info.Env().Undefined();
    });
  }
  Napi::Value Copy(const Napi::CallbackInfo& info) {  // (out, x, bytes)
    return guarded(info, [&]() -> Napi::Value {
      const int64_t bytes = i64(info, 2);
      if (bytes > 0)
        check(cudaMemcpyAsync(ptr(info, 0), ptr(info, 1), static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice,
                              ctx_.stream),
              "cudaMemcpyAsync(device→device)");
      return info.Env().Undefined();
    });
  }
  Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
    // (dst, src, elemSize, shape, srcStrides, srcOffset, dstStrides, dstOffset): Slice, Transpose, Concat
    return guarded(info, [&]() -> Napi::Value {
      fh::launchStridedCopy(ctx_, int(i64(info, 2)), ptr(info, 0), ptr(info, 1), shapeArg(info, 3),
                            stridesArg(info, 4), i64(info, 5), stridesArg(info, 6), i64(info, 7));
      return info.Env().Undefined();
    });
  }
  // (out, elemSize, srcIds, ranks, shapes, srcStrides, dstStrides, dstOffsets): a Concat's pieces in one launch, each
  // piece's shape and strides concatenated in the flat lists (ranks[k] values each).
  Napi::Value ConcatPieces(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const std::vector<int64_t> ids = list(info, 2), ranks = list(info, 3), shapes = list(info, 4),
                                 srcStrides = list(info, 5), dstStrides = list(info, 6), dstOffsets = list(info, 7);
      const size_t count = ids.size();
      if (count > static_cast<size_t>(fh::kMaxConcatPieces) || ranks.size() != count || dstOffsets.size() != count)
        throw fh::Error("ConcatPieces: 1 to " + std::to_string(fh::kMaxConcatPieces) +
                        " pieces, with one rank and one offset each");
      fh::ConcatPiece pieces[fh::kMaxConcatPieces];
      size_t at = 0;
      for (size_t k = 0; k < count; ++k) {
        const int64_t rank = ranks[k];
        if (rank < 0 || rank > fh::kMaxRank || at + rank > shapes.size() || at + rank > srcStrides.size() ||
            at + rank > dstStrides.size())
          throw fh::Error("ConcatPieces: piece " + std::to_string(k) + "'s rank does not match the flat lists");
        fh::ConcatPiece& p = pieces[k];
        p = fh::ConcatPiece{};
        p.src = buffer(ids[k]).ptr;
        p.shape.rank = static_cast<int>(rank);
        for (int64_t d = 0; d < rank; ++d) {
          p.shape.dim[d] = shapes[at + d];
          p.srcStrides.s[d] = srcStrides[at + d];
          p.dstStrides.s[d] = dstStrides[at + d];
        }
        p.dstOffset = dstOffsets[k];
        at += rank;
      }
      fh::launchConcat(ctx_, int(i64(info, 1)), ptr(info, 0), pieces, static_cast<int>(count));
      return info.Env().Undefined();
    });
  }
  Napi::Value Fill(const Napi::CallbackInfo& info) {  // (out, elemSize, n, bits)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchFill(ctx_, int(i64(info, 1)), ptr(info, 0), i64(info, 2), static_cast<uint32_t>(i64(info, 3)));
      return info.Env().Undefined();
    });
  }
  Napi::Value Gather(const Napi::CallbackInfo& info) {  // (out, table, indices, elemSize, count, rowSize, numRows)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchGather(ctx_, int(i64(info, 3)), ptr(info, 0), ptr(info, 1), as<int32_t>(info, 2), i64(info, 4),
                       i64(info, 5), i64(info, 6));
      return info.Env().Undefined();
    });
  }
  Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {  // (out, updates, indices, dtype, count, rowSize, numRows)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchScatterAdd(ctx_, int(i64(info, 3)), ptr(info, 0), ptr(info, 1), as<int32_t>(info, 2), i64(info, 4),
                           i64(info, 5), i64(info, 6));
      return info.Env().Undefined();
    });
  }
  Napi::Value Softmax(const Napi::CallbackInfo& info) {  // (out, x, dtype, rows, D)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchSoftmax(ctx_, int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3), i64(info, 4));
      return info.Env().Undefined();
    });
  }
  Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {  // (dx, dy, y, dtype, rows, D)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchSoftmaxGrad(ctx_, int(i64(info, 3)), ptr(info, 0), ptr(info, 1), ptr(info, 2), i64(info, 4),
                            i64(info, 5));
      return info.Env().Undefined();
    });
  }
  Napi::Value RmsNorm(const Napi::CallbackInfo& info) {  // (y, x, w, dtype, rows, D, eps)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchRmsNorm(ctx_, int(i64(info, 3)), ptr(info, 0), ptr(info, 1), ptr(info, 2), i64(info, 4), i64(info, 5),
                        static_cast<float>(f64(info, 6)));
      return info.Env().Undefined();
    });
  }
  Napi::Value AddRmsNorm(const Napi::CallbackInfo& info) {  // (sum, normed, x, residual, w, dtype, rows, D, eps)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchAddRmsNorm(ctx_, int(i64(info, 5)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                           ptr(info, 4), i64(info, 6), i64(info, 7), static_cast<float>(f64(info, 8)));
      return info.Env().Undefined();
    });
  }
  /** A Linear product out [M, N] = a [M, K] · weight [N, K]ᵀ through MatMul's dispatch (mat_mul.cu). */
  void linearProduct(int dtype, void* out, const void* a, const void* weight, int64_t M, int64_t N, int64_t K) {
    const fh::GemmArgs g{dtype, false, true, M, N, K, 1, M * K, N * K, M * N};
    const int64_t zero = 0;
    fh::launchMatMul(ctx_, g, out, a, weight, &zero, &zero, 1);
  }
  Napi::Value AddRmsNormMatMul(const Napi::CallbackInfo& info) {
    // (sum, y, x, residual, normWeight, weight, dtype, M, K, N, eps): one launch at decode shapes (mat_vec.cu's
    // prologue kernel), else AddRmsNorm into scratch and the product
    return guarded(info, [&]() -> Napi::Value {
      const int dtype = int(i64(info, 6));
      const int64_t M = i64(info, 7), K = i64(info, 8), N = i64(info, 9);
      const float eps = static_cast<float>(f64(info, 10));
      const fh::MatVecPrologueArgs p{ptr(info, 2), ptr(info, 3), ptr(info, 4), ptr(info, 0), eps, 1.f};
      if (fh::tryLaunchMatVecPrologue(ctx_, fh::MatVecPrologue::kAddRmsNorm, dtype, M, N, K, ptr(info, 1),
                                      ptr(info, 5), p))
        return info.Env().Undefined();
      fh::Scratch normed(*alloc_, static_cast<size_t>(M * K) * fh::dtypeSize(dtype));
      fh::launchAddRmsNorm(ctx_, dtype, ptr(info, 0), normed.as<void>(), ptr(info, 2), ptr(info, 3), ptr(info, 4), M,
                           K, eps);
      linearProduct(dtype, ptr(info, 1), normed.as<void>(), ptr(info, 5), M, N, K);
      return info.Env().Undefined();
    });
  }
  Napi::Value SwiGluPackedMatMul(const Napi::CallbackInfo& info) {
    // (y, gateUp, weight, dtype, M, I, N, gateMultiplier): one launch at decode shapes, else SwiGluPacked into
    // scratch and the product
    return guarded(info, [&]() -> Napi::Value {
      const int dtype = int(i64(info, 3));
      const int64_t M = i64(info, 4), I = i64(info, 5), N = i64(info, 6);
      const float m = static_cast<float>(f64(info, 7));
      const fh::MatVecPrologueArgs p{ptr(info, 1), nullptr, nullptr, nullptr, 0.f, m};
      if (fh::tryLaunchMatVecPrologue(ctx_, fh::MatVecPrologue::kSwiGluPacked, dtype, M, N, I, ptr(info, 0),
                                      ptr(info, 2), p))
        return info.Env().Undefined();
      fh::Scratch act(*alloc_, static_cast<size_t>(M * I) * fh::dtypeSize(dtype));
      fh::launchSwiGluPacked(ctx_, dtype, act.as<void>(), ptr(info, 1), M, I, m);
      linearProduct(dtype, ptr(info, 0), act.as<void>(), ptr(info, 2), M, N, I);
      return info.Env().Undefined();
    });
  }
  Napi::Value AddRmsNormSwiGluMlp(const Napi::CallbackInfo& info) {
    // (sum, y, x, residual, normWeight, gateUpWeight, downWeight, dtype, M, D, I, N, eps, gateMultiplier): the
    // activation as the gate|up product's epilogue — mat_vec.cu's norm-prologue kernel at ≤ 8 rows, AddRmsNorm then
    // the skinny GEMM's SwiGLU tiles at 9–32 — then the down product; else AddRmsNorm, the product, SwiGluPacked
    // (scratch between them) and the down product. Every path stores what AddRmsNormMatMul then SwiGluPackedMatMul
    // would.
    return guarded(info, [&]() -> Napi::Value {
      const int dtype = int(i64(info, 7));
      const int64_t M = i64(info, 8), D = i64(info, 9), I = i64(info, 10), N = i64(info, 11);
      const float eps = static_cast<float>(f64(info, 12));
      const float m = static_cast<float>(f64(info, 13));
      const size_t es = fh::dtypeSize(dtype);
      void* sum = ptr(info, 0);
      const void* gateUpWeight = ptr(info, 5);
      fh::Scratch act(*alloc_, static_cast<size_t>(M * I) * es);
      const fh::MatVecPrologueArgs p{ptr(info, 2), ptr(info, 3), ptr(info, 4), sum, eps, m};
      if (!fh::tryLaunchMatVecNormSwiGlu(ctx_, dtype, M, I, D, act.as<void>(), gateUpWeight, p)) {
        fh::Scratch normed(*alloc_, static_cast<size_t>(M * D) * es);
        fh::launchAddRmsNorm(ctx_, dtype, sum, normed.as<void>(), ptr(info, 2), ptr(info, 3), ptr(info, 4), M, D,
                             eps);
        if (!fh::tryLaunchSkinnyGemmSwiGlu(ctx_, dtype, M, I, D, act.as<void>(), normed.as<void>(), gateUpWeight,
                                           m)) {
          fh::Scratch gateUp(*alloc_, static_cast<size_t>(M * 2 * I) * es);
          linearProduct(dtype, gateUp.as<void>(), normed.as<void>(), gateUpWeight, M, 2 * I, D);
          fh::launchSwiGluPacked(ctx_, dtype, act.as<void>(), gateUp.as<void>(), M, I, m);
        }
      }
      linearProduct(dtype, ptr(info, 1), act.as<void>(), ptr(info, 6), M, N, I);
      return info.Env().Undefined();
    });
  }
  Napi::Value RmsNormGrad(const Napi::CallbackInfo& info) {  // (dx, dw, dy, x, w, dtype, rows, D, eps)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchRmsNormGrad(ctx_, int(i64(info, 5)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                            ptr(info, 4), i64(info, 6), i64(info, 7), static_cast<float>(f64(info, 8)));
      return info.Env().Undefined();
    });
  }
  Napi::Value RmsNormGated(const Napi::CallbackInfo& info) {
    // (y, x, z, w, dtype, rows, D, groupSize, eps, normBeforeGate)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchRmsNormGated(ctx_, int(i64(info, 4)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                             i64(info, 5), i64(info, 6), i64(info, 7), static_cast<float>(f64(info, 8)),
                             flag(info, 9));
      return info.Env().Undefined();
    });
  }
  Napi::Value RmsNormGatedGrad(const Napi::CallbackInfo& info) {
    // (dx, dz, dw, dy, x, z, w, dtype, rows, D, groupSize, eps, normBeforeGate)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchRmsNormGatedGrad(ctx_, int(i64(info, 7)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                                 ptr(info, 4), ptr(info, 5), ptr(info, 6), i64(info, 8), i64(info, 9), i64(info, 10),
                                 static_cast<float>(f64(info, 11)), flag(info, 12));
      return info.Env().Undefined();
    });
  }
  Napi::Value Rope(const Napi::CallbackInfo& info) {  // (y, x, positions, invFreq, dtype, BT, H, Dh, inverse)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchRope(ctx_, int(i64(info, 4)), ptr(info, 0), ptr(info, 1), as<int32_t>(info, 2), as<float>(info, 3),
                     i64(info, 5), i64(info, 6), i64(info, 7), flag(info, 8));
      return info.Env().Undefined();
    });
  }
  Napi::Value CacheWrite(const Napi::CallbackInfo& info) {
    // (cache, values, slots, dtype, B, L, T, inner, sharedSlot): in place on cache
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCacheWrite(ctx_, fh::dtypeSize(int(i64(info, 3))), ptr(info, 0), ptr(info, 1), as<int32_t>(info, 2),
                           i64(info, 4), i64(info, 5), i64(info, 6), i64(info, 7), flag(info, 8));
      return info.Env().Undefined();
    });
  }
  Napi::Value CausalConv1d(const Napi::CallbackInfo& info) {
    // (y, x, w, bias, init, seq, dtype, B, T, C, K, silu)
    return guarded(info, [&]() -> Napi::Value {
      fh::ConvArgs a{i64(info, 7), i64(info, 8), i64(info, 9), i64(info, 10), flag(info, 11)};
      fh::launchCausalConv1d(ctx_, int(i64(info, 6)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                             ptr(info, 4), as<int32_t>(info, 5), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value CausalConv1dGrad(const Napi::CallbackInfo& info) {
    // (dx, dw, db, dinit, dy, x, w, bias, init, seq, dtype, B, T, C, K, silu)
    return guarded(info, [&]() -> Napi::Value {
      fh::ConvArgs a{i64(info, 11), i64(info, 12), i64(info, 13), i64(info, 14), flag(info, 15)};
      fh::launchCausalConv1dGrad(ctx_, int(i64(info, 10)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                                 ptr(info, 4), ptr(info, 5), ptr(info, 6), ptr(info, 7), ptr(info, 8),
                                 as<int32_t>(info, 9), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value CausalConv1dUpdate(const Napi::CallbackInfo& info) {
    // (y, newState, state, x, w, bias, dtype, B, C, K, silu)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCausalConv1dUpdate(ctx_, int(i64(info, 6)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                                   ptr(info, 4), ptr(info, 5), i64(info, 7), i64(info, 8), i64(info, 9),
                                   flag(info, 10));
      return info.Env().Undefined();
    });
  }
  Napi::Value SsmScan(const Napi::CallbackInfo& info) {
    // (y, finalState, x, dt, A, Bm, Cm, D, init, seq, dtype, B, T, H, P, G, N, chunk, paramDtype: dt/A/D's dtype)
    return guarded(info, [&]() -> Napi::Value {
      fh::ScanArgs a{i64(info, 11), i64(info, 12), i64(info, 13), i64(info, 14),
                     i64(info, 15), i64(info, 16), i64(info, 17)};
      fh::launchSsmScan(ctx_, int(i64(info, 10)), int(i64(info, 18)), ptr(info, 0), as<float>(info, 1), ptr(info, 2),
                        ptr(info, 3), ptr(info, 4), ptr(info, 5), ptr(info, 6), ptr(info, 7), as<float>(info, 8),
                        as<int32_t>(info, 9), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value SsmScanGrad(const Napi::CallbackInfo& info) {
    // (dx, ddt, dA, dBm, dCm, dD, dinit, dy, dFinal, x, dt, A, Bm, Cm, D, init, seq, dtype, B, T, H, P, G, N, chunk,
    //  paramDtype: dt/A/D's dtype)
    return guarded(info, [&]() -> Napi::Value {
      fh::ScanArgs a{i64(info, 18), i64(info, 19), i64(info, 20), i64(info, 21),
                     i64(info, 22), i64(info, 23), i64(info, 24)};
      fh::launchSsmScanGrad(ctx_, int(i64(info, 17)), int(i64(info, 25)), ptr(info, 0), ptr(info, 1), ptr(info, 2),
                            ptr(info, 3), ptr(info, 4), ptr(info, 5), as<float>(info, 6), ptr(info, 7),
                            as<float>(info, 8), ptr(info, 9), ptr(info, 10), ptr(info, 11), ptr(info, 12),
                            ptr(info, 13), ptr(info, 14), as<float>(info, 15), as<int32_t>(info, 16), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value SsmStep(const Napi::CallbackInfo& info) {
    // (y, newState, state, x, dt, A, Bm, Cm, D, dtype, B, H, P, G, N)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchSsmStep(ctx_, int(i64(info, 9)), ptr(info, 0), as<float>(info, 1), as<float>(info, 2), ptr(info, 3),
                        ptr(info, 4), ptr(info, 5), ptr(info, 6), ptr(info, 7), ptr(info, 8), i64(info, 10),
                        i64(info, 11), i64(info, 12), i64(info, 13), i64(info, 14));
      return info.Env().Undefined();
    });
  }
  Napi::Value SsmDecodeStep(const Napi::CallbackInfo& info) {
    // (y, nextConv, nextState, zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D, dtype, B, H, P, G, N,
    //  K, convSilu, gate, dtMin, dtMax, tickets, rowStride, offset, state16): in place (SsmDecodeStepInPlace) when
    //  nextConv is convState and nextState is ssmState, with B·G zeroed ticket words; out of place, tickets 0;
    //  state16: ssmState and nextState in the activations' 16-bit dtype
    return guarded(info, [&]() -> Napi::Value {
      fh::SsmDecodeArgs a{i64(info, 12),
                          i64(info, 13),
                          i64(info, 14),
                          i64(info, 15),
                          i64(info, 16),
                          i64(info, 17),
                          flag(info, 18),
                          flag(info, 19),
                          static_cast<float>(f64(info, 20)),
                          static_cast<float>(f64(info, 21)),
                          i64(info, 23),
                          i64(info, 24),
                          flag(info, 25)};
      fh::launchSsmDecodeStep(ctx_, int(i64(info, 11)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                              ptr(info, 4), ptr(info, 5), ptr(info, 6), ptr(info, 7), as<float>(info, 8),
                              as<float>(info, 9), as<float>(info, 10), as<unsigned>(info, 22), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value Attention(const Napi::CallbackInfo& info) {
    // (out, q, k, v, qSeq, kSeq, dtype, B, T, S, Hq, Hkv, Dh, Dv, scale, causal)
    return guarded(info, [&]() -> Napi::Value {
      fh::AttnArgs a{i64(info, 7),  i64(info, 8),  i64(info, 9), i64(info, 10), i64(info, 11), i64(info, 12),
                     i64(info, 13), static_cast<float>(f64(info, 14)), flag(info, 15)};
      fh::launchAttention(ctx_, int(i64(info, 6)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                          as<int32_t>(info, 4), as<int32_t>(info, 5), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value AttentionDecodeStep(const Napi::CallbackInfo& info) {
    // (out, keys, values, qkv, positions, slots, qSeq, kSeq, invFreq, tickets, dtype, B, L, Hq, Hkv, Dh, scale,
    //  sharedSlot, prefix, prefixWidth, qkvStride, qkvOffset): keys and values written in place; prefix 0 without
    return guarded(info, [&]() -> Napi::Value {
      const fh::AttnDecodeStepLayout layout{i64(info, 20), i64(info, 21), i64(info, 19)};
      fh::launchAttentionDecodeStep(ctx_, int(i64(info, 10)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                                    as<int32_t>(info, 4), as<int32_t>(info, 5), flag(info, 17), as<int32_t>(info, 6),
                                    as<int32_t>(info, 7), as<float>(info, 8), as<unsigned>(info, 9), ptr(info, 18),
                                    i64(info, 11), i64(info, 12), i64(info, 13), i64(info, 14), i64(info, 15),
                                    static_cast<float>(f64(info, 16)), layout);
      return info.Env().Undefined();
    });
  }
  Napi::Value ParallelMixersDecodeStep(const Napi::CallbackInfo& info) {
    // (out, qkv, convState, ssmState, convWeight, convBias, dtBias, A, D, ssmTickets, dtype, B, H, P, G, N, K,
    //  convSilu, dtMin, dtMax, rowStride, ssmOffset, keys, values, positions, slots, sharedSlot, qSeq, kSeq, invFreq,
    //  attentionTickets, L, Hq, Hkv, Dh, scale, attentionOffset, state16): SsmDecodeStepInPlace (gate silu) and
    //  AttentionDecodeStep side by side into out = [y | o]; both states and the cache written in place
    return guarded(info, [&]() -> Napi::Value {
      const fh::SsmDecodeStepOperands s{ptr(info, 2),         ptr(info, 3),       ptr(info, 4),
                                        ptr(info, 5),         as<float>(info, 6), as<float>(info, 7),
                                        as<float>(info, 8),   as<unsigned>(info, 9)};
      const fh::SsmDecodeArgs ssm{i64(info, 11), i64(info, 12), i64(info, 13), i64(info, 14),
                                  i64(info, 15), i64(info, 16), flag(info, 17), true,
                                  static_cast<float>(f64(info, 18)), static_cast<float>(f64(info, 19)),
                                  i64(info, 20), i64(info, 21), flag(info, 37)};
      const fh::AttnDecodeStepOperands at{ptr(info, 22),         ptr(info, 23),         as<int32_t>(info, 24),
                                          as<int32_t>(info, 25), flag(info, 26),        as<int32_t>(info, 27),
                                          as<int32_t>(info, 28), as<float>(info, 29),   as<unsigned>(info, 30),
                                          i64(info, 31),         i64(info, 32),         i64(info, 33),
                                          i64(info, 34),         static_cast<float>(f64(info, 35)), i64(info, 36)};
      fh::launchParallelMixersDecodeStep(ctx_, int(i64(info, 10)), ptr(info, 0), ptr(info, 1), s, ssm, at);
      return info.Env().Undefined();
    });
  }
  Napi::Value AttentionGrad(const Napi::CallbackInfo& info) {
    // (dq, dk, dv, dy, q, k, v, qSeq, kSeq, dtype, B, T, S, Hq, Hkv, Dh, Dv, scale, causal)
    return guarded(info, [&]() -> Napi::Value {
      fh::AttnArgs a{i64(info, 10), i64(info, 11), i64(info, 12), i64(info, 13), i64(info, 14), i64(info, 15),
                     i64(info, 16), static_cast<float>(f64(info, 17)), flag(info, 18)};
      fh::launchAttentionGrad(ctx_, int(i64(info, 9)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                              ptr(info, 4), ptr(info, 5), ptr(info, 6), as<int32_t>(info, 7), as<int32_t>(info, 8), a);
      return info.Env().Undefined();
    });
  }
  Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {  // (loss, logits, labels, dtype, R, V, ignoreIndex)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCrossEntropy(ctx_, int(i64(info, 3)), as<float>(info, 0), ptr(info, 1), as<int32_t>(info, 2),
                             i64(info, 4), i64(info, 5), static_cast<int32_t>(i64(info, 6)));
      return info.Env().Undefined();
    });
  }
  Napi::Value CrossEntropyGrad(const Napi::CallbackInfo& info) {
    // (dlogits, dloss, logits, labels, dtype, R, V, ignoreIndex)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchCrossEntropyGrad(ctx_, int(i64(info, 4)), ptr(info, 0), as<float>(info, 1), ptr(info, 2),
                                 as<int32_t>(info, 3), i64(info, 5), i64(info, 6), static_cast<int32_t>(i64(info, 7)));
      return info.Env().Undefined();
    });
  }
  Napi::Value AdamW(const Napi::CallbackInfo& info) {
    // (param, grad, m, v, dtype, n, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2)
    return guarded(info, [&]() -> Napi::Value {
      fh::AdamWArgs a{f64(info, 6), f64(info, 7), f64(info, 8), f64(info, 9), f64(info, 10), f64(info, 11),
                      f64(info, 12)};
      fh::launchAdamW(ctx_, int(i64(info, 4)), ptr(info, 0), ptr(info, 1), as<float>(info, 2), as<float>(info, 3),
                      i64(info, 5), a);
      return info.Env().Undefined();
    });
  }

  Napi::Value SwiGlu(const Napi::CallbackInfo& info) {  // (y, gate, up, dtype, n, gateMultiplier)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchSwiGlu(ctx_, int(i64(info, 3)), ptr(info, 0), ptr(info, 1), ptr(info, 2), i64(info, 4),
                       static_cast<float>(f64(info, 5)));
      return info.Env().Undefined();
    });
  }
  Napi::Value SwiGluPacked(const Napi::CallbackInfo& info) {  // (y, gateUp, dtype, rows, I, gateMultiplier)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchSwiGluPacked(ctx_, int(i64(info, 2)), ptr(info, 0), ptr(info, 1), i64(info, 3), i64(info, 4),
                             static_cast<float>(f64(info, 5)));
      return info.Env().Undefined();
    });
  }
  Napi::Value SwiGluGrad(const Napi::CallbackInfo& info) {  // (dgate, dup, dy, gate, up, dtype, n, gateMultiplier)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchSwiGluGrad(ctx_, int(i64(info, 5)), ptr(info, 0), ptr(info, 1), ptr(info, 2), ptr(info, 3),
                           ptr(info, 4), i64(info, 6), static_cast<float>(f64(info, 7)));
      return info.Env().Undefined();
    });
  }
  Napi::Value AdamWMulti(const Napi::CallbackInfo& info) {
    // (params[], grads[], m[], v[], sizes[], lr[], weightDecay[], dtype, beta1, beta2, eps, biasCorr1, biasCorr2)
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("AdamWMulti (it uploads its tensor table)");
      const std::vector<int64_t> params = list(info, 0), grads = list(info, 1), ms = list(info, 2), vs = list(info, 3),
                                 sizes = list(info, 4);
      const std::vector<double> lrs = doubles(info, 5), wds = doubles(info, 6);
      const size_t n = params.size();
      if (grads.size() != n || ms.size() != n || vs.size() != n || sizes.size() != n || lrs.size() != n ||
          wds.size() != n)
        throw fh::Error("AdamWMulti: the tensor, size and hyperparameter lists differ in length");
      std::vector<fh::AdamWTensor> tensors(n);
      for (size_t i = 0; i < n; ++i) {
        tensors[i] = fh::AdamWTensor{buffer(params[i]).ptr, buffer(grads[i]).ptr,
                                     static_cast<float*>(buffer(ms[i]).ptr), static_cast<float*>(buffer(vs[i]).ptr),
                                     sizes[i], lrs[i], wds[i]};
      }
      fh::AdamWMultiArgs a{f64(info, 8), f64(info, 9), f64(info, 10), f64(info, 11), f64(info, 12)};
      fh::launchAdamWMulti(ctx_, int(i64(info, 7)), tensors, a);
      return info.Env().Undefined();
    });
  }
  static fh::LceChunk lceChunk(const Napi::CallbackInfo& info, size_t at) {  // (R, C, c0, scale, ignoreIndex) at `at`
    return fh::LceChunk{i64(info, at), i64(info, at + 1), i64(info, at + 2), static_cast<float>(f64(info, at + 3)),
                        static_cast<int32_t>(i64(info, at + 4))};
  }
  Napi::Value LceChunkStats(const Napi::CallbackInfo& info) {
    // (z, labels, runMax, runSum, target, dtype, R, C, c0, scale, ignoreIndex, first)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchLceChunkStats(ctx_, int(i64(info, 5)), ptr(info, 0), as<int32_t>(info, 1), lceChunk(info, 6),
                              flag(info, 11), as<float>(info, 2), as<float>(info, 3), as<float>(info, 4));
      return info.Env().Undefined();
    });
  }
  Napi::Value LceLoss(const Napi::CallbackInfo& info) {
    // (loss, lse (-1: none), runMax, runSum, target, labels, R, V, ignoreIndex)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchLceLoss(ctx_, as<float>(info, 0), as<float>(info, 1), as<float>(info, 2), as<float>(info, 3),
                        as<float>(info, 4), as<int32_t>(info, 5), i64(info, 6), i64(info, 7),
                        static_cast<int32_t>(i64(info, 8)));
      return info.Env().Undefined();
    });
  }
  Napi::Value LceChunkGrad(const Napi::CallbackInfo& info) {
    // (z, dloss, lse, labels, dtype, R, C, c0, scale, ignoreIndex)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchLceChunkGrad(ctx_, int(i64(info, 4)), ptr(info, 0), as<float>(info, 1), as<float>(info, 2),
                             as<int32_t>(info, 3), lceChunk(info, 5));
      return info.Env().Undefined();
    });
  }
  Napi::Value LceAccumulate(const Napi::CallbackInfo& info) {  // (acc f32, x, dtype, n, first)
    return guarded(info, [&]() -> Napi::Value {
      fh::launchLceAccumulate(ctx_, int(i64(info, 2)), as<float>(info, 0), ptr(info, 1), i64(info, 3), flag(info, 4));
      return info.Env().Undefined();
    });
  }

  // ------------------------------------------------------------------------------------------- graph capture
  // CUDA Graphs (core's captureGraph): beginCapture() puts the stream in capture mode (relaxed, so the caching
  // allocator may still cudaMalloc a block it lacks), every launcher call is then recorded instead of run, and
  // endCapture() instantiates the graph. Blocks freed during the capture are held for the graph (its replays use
  // them) and return to the allocator when the graph is released.
  struct Graph {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    std::vector<std::pair<void*, size_t>> held;
  };
  void notCapturing(const char* what) const {
    if (capturing_)
      throw fh::Error(std::string(what) +
                      " is not allowed while a graph is being captured (make inputs and constants before capturing)");
  }
  Graph& graph(int64_t id) {
    if (id < 0 || static_cast<size_t>(id) >= graphs_.size() || !graphs_[id])
      throw fh::Error("graph #" + std::to_string(id) + " does not exist (released or foreign)");
    return *graphs_[id];
  }
  void destroyGraph(Graph& g) {
    if (g.exec) cudaGraphExecDestroy(g.exec);
    if (g.graph) cudaGraphDestroy(g.graph);
    for (auto& block : g.held) alloc_->release(block.first, block.second);
    g = Graph();
  }
  // ------------------------------------------------------------------------------------------- kernel timing
  // The kernel profiler (src/kernel-profiler.ts) brackets each kernel call with timing events on the stream:
  // timingMark() records one and returns its index, timingElapsed(a, b) waits for b and returns the milliseconds
  // between them, timingReset() drops them all (they are reused).
  Napi::Value TimingMark(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("timingMark");
      if (timingUsed_ == timing_.size()) {
        cudaEvent_t e;
        check(cudaEventCreate(&e), "cudaEventCreate(timing)");
        timing_.push_back(e);
      }
      check(cudaEventRecord(timing_[timingUsed_], ctx_.stream), "cudaEventRecord(timing)");
      return Napi::Number::New(info.Env(), static_cast<double>(timingUsed_++));
    });
  }
  Napi::Value TimingElapsed(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      const int64_t a = i64(info, 0), b = i64(info, 1);
      if (a < 0 || b < 0 || static_cast<size_t>(a) >= timingUsed_ || static_cast<size_t>(b) >= timingUsed_)
        throw fh::Error("timingElapsed: no such timing mark");
      check(cudaEventSynchronize(timing_[b]), "cudaEventSynchronize(timing)");
      float ms = 0;
      check(cudaEventElapsedTime(&ms, timing_[a], timing_[b]), "cudaEventElapsedTime");
      return Napi::Number::New(info.Env(), ms);
    });
  }
  Napi::Value TimingReset(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      timingUsed_ = 0;
      return info.Env().Undefined();
    });
  }

  /** resetPeak(): the peak of live bytes restarts from the current live bytes (per-phase peaks in benchmarks). */
  Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      peakBytes_ = liveBytes_;
      return info.Env().Undefined();
    });
  }
  /** setTf32(on): f32 MatMul through TF32 tensor cores from now on (plans are keyed by the mode). */
  Napi::Value SetTf32(const Napi::CallbackInfo& info) {
    return guardedHost(info, [&]() -> Napi::Value {
      ctx_.tf32 = flag(info, 0);
      return info.Env().Undefined();
    });
  }
  Napi::Value BeginCapture(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("beginCapture");
      joinComm();  // collectives during a capture run on the captured stream itself
      alloc_->beginHold();
      cudaError_t e = cudaStreamBeginCapture(ctx_.stream, cudaStreamCaptureModeRelaxed);
      if (e != cudaSuccess) {
        alloc_->endHold();
        check(e, "cudaStreamBeginCapture");
      }
      capturing_ = true;
      return info.Env().Undefined();
    });
  }
  Napi::Value EndCapture(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      if (!capturing_) throw fh::Error("endCapture: no capture in progress");
      capturing_ = false;
      auto g = std::make_unique<Graph>();
      g->held = alloc_->endHold();
      cudaError_t e = cudaStreamEndCapture(ctx_.stream, &g->graph);
      // Per-node priorities: the captured launches' cudaLaunchAttributePriority (ParallelMixersDecodeStep's SSM step).
      if (e == cudaSuccess) e = cudaGraphInstantiate(&g->exec, g->graph, cudaGraphInstantiateFlagUseNodePriority);
      if (e != cudaSuccess) {
        cudaGetLastError();
        cudaStreamSynchronize(ctx_.stream);
        destroyGraph(*g);
        check(e, "cudaStreamEndCapture/cudaGraphInstantiate");
      }
      graphs_.push_back(std::move(g));
      return Napi::Number::New(info.Env(), static_cast<double>(graphs_.size() - 1));
    });
  }
  Napi::Value ReplayGraph(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("replayGraph");
      // A replay reads and writes buffers the graph recorded by address, not through buffer(): a collective still
      // running on the side stream on any of them must finish first.
      joinComm();
      check(cudaGraphLaunch(graph(i64(info, 0)).exec, ctx_.stream), "cudaGraphLaunch");
      return info.Env().Undefined();
    });
  }
  Napi::Value ReleaseGraph(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      notCapturing("releaseGraph");
      const int64_t id = i64(info, 0);
      Graph& g = graph(id);
      check(cudaStreamSynchronize(ctx_.stream), "cudaStreamSynchronize");  // no replay may still use its blocks
      destroyGraph(g);
      graphs_[id].reset();
      return info.Env().Undefined();
    });
  }

  /**
   * nccl(op, ...): NCCL collectives (nccl.cc) on this context's device, on the NCCL side stream (comm_stream.h;
   * on the compute stream while a graph is being captured). Their buffers are marked so that the first compute
   * work touching one joins the side stream.
   */
  Napi::Value Nccl(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      const bool side = comm_.onSide() && !capturing_;
      if (info.Length() > 0 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "destroy") {
        joinComm();
        comm_.synchronize();  // no collective of the communicator may still be queued
      }
      fh::NcclBufferOf bufferOf = [this, side](int64_t id) {
        Buffer& b = side ? liveBuffer(id) : buffer(id);
        if (side && !b.commPending) {
          b.commPending = true;
          commIds_.push_back(static_cast<uint32_t>(id));
        }
        return fh::NcclBuffer{b.ptr, b.bytes};
      };
      fh::NcclStreams streams{
          [this, side]() { return side ? comm_.beforeCollective(ctx_.stream) : ctx_.stream; },
          [this, side]() {
            if (side) comm_.afterCollective();
          },
      };
      return fh::ncclCall(info, ctx_, bufferOf, streams);
    });
  }

  fh::Ctx ctx_;
  std::vector<std::unique_ptr<Graph>> graphs_;
  bool capturing_ = false;
  std::unique_ptr<fh::Allocator> alloc_;
  std::unique_ptr<fh::BlockPool> pinned_;
  std::vector<Buffer> buffers_;
  std::vector<uint32_t> freeIds_;
  std::vector<cudaEvent_t> events_;
  fh::CommStream comm_;
  std::vector<cudaEvent_t> timing_;  // kernel-profiler marks (timing enabled), reused after timingReset()
  size_t timingUsed_ = 0;
  std::vector<uint32_t> commIds_;                       // buffers marked commPending since the last join
  std::vector<std::pair<void*, size_t>> commFreed_;     // blocks freed while a collective used them
  size_t liveBytes_ = 0, liveBuffers_ = 0, peakBytes_ = 0, totalMemory_ = 0;
  int ccMajor_ = 0, ccMinor_ = 0;
  int pending_ = 0;
  bool disposed_ = false, freed_ = false;
  std::string deviceName_;
};

EventWorker::EventWorker(Napi::Env env, Context* owner, cudaEvent_t event, bool isRead, void* host, size_t capacity,
                         size_t bytes)
    : Napi::AsyncWorker(env, "falcon-h1-cuda-event"),
      owner_(owner),
      event_(event),
      isRead_(isRead),
      host_(host),
      capacity_(capacity),
      bytes_(bytes),
      device_(owner->device()),
      deferred_(Napi::Promise::Deferred::New(env)) {
  owner_->Ref();  // keep the Context alive until the event has been waited for
}

EventWorker::~EventWorker() {
  owner_->finishEvent(event_, host_, capacity_);
  owner_->Unref();
}

void EventWorker::Execute() {
  cudaError_t e = cudaSetDevice(device_);
  if (e == cudaSuccess) e = cudaEventSynchronize(event_);
  if (e != cudaSuccess)
    SetError(std::string("cudaEventSynchronize: ") + cudaGetErrorString(e) + " (CUDA error " +
             std::to_string(static_cast<int>(e)) + ")");
}

void EventWorker::OnOK() {
  Napi::Env env = Env();
  std::string deviceError = owner_->takeDeviceError();
  if (!deviceError.empty()) {
    deferred_.Reject(Napi::Error::New(env, deviceError).Value());
    return;
  }
  if (!isRead_) {
    deferred_.Resolve(env.Undefined());
    return;
  }
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(env, bytes_);
  if (bytes_ > 0) std::memcpy(out.Data(), host_, bytes_);
  deferred_.Resolve(out);
}

void EventWorker::OnError(const Napi::Error& e) { deferred_.Reject(e.Value()); }

Context::Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {
  try {
    const int device = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    ctx_.device = device;
    check(cudaSetDevice(device), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    deviceName_ = prop.name;
    ccMajor_ = prop.major;
    ccMinor_ = prop.minor;
    totalMemory_ = prop.totalGlobalMem;
    ctx_.smCount = prop.multiProcessorCount;
    ctx_.maxSharedPerBlockOptin = prop.sharedMemPerBlockOptin;
    ctx_.pdl = prop.major >= 9 && !pdlSwitchedOff();
    check(cudaStreamCreateWithFlags(&ctx_.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    void* slot = nullptr;
    check(cudaHostAlloc(&slot, sizeof(fh::ErrorSlot), cudaHostAllocMapped), "cudaHostAlloc(error slot)");
    ctx_.errHost = static_cast<fh::ErrorSlot*>(slot);
    std::memset(ctx_.errHost, 0, sizeof(fh::ErrorSlot));
    void* devSlot = nullptr;
    check(cudaHostGetDevicePointer(&devSlot, slot, 0), "cudaHostGetDevicePointer(error slot)");
    ctx_.errDevice = static_cast<fh::ErrorSlot*>(devSlot);
    alloc_ = std::make_unique<fh::Allocator>(device);
    pinned_ = std::make_unique<fh::BlockPool>(fh::BlockPool::kPinnedHost, device);
    ctx_.alloc = alloc_.get();
    fh::matmulInit(ctx_);
  } catch (const std::exception& e) {
    release();
    throw Napi::Error::New(info.Env(), e.what());
  }
}

#define FH_KERNEL(NAME, FN, CODE) \
  InstanceMethod(NAME, &Context::FN, napi_default, reinterpret_cast<void*>(static_cast<intptr_t>(CODE)))

Napi::Function Context::Define(Napi::Env env) {
  return DefineClass(
      env, "Context",
      {
          InstanceMethod("alloc", &Context::Alloc),
          InstanceMethod("free", &Context::Free),
          InstanceMethod("write", &Context::Write),
          InstanceMethod("read", &Context::Read),
          InstanceMethod("readSync", &Context::ReadSync),
          InstanceMethod("synchronize", &Context::Synchronize),
          InstanceMethod("synchronizeSync", &Context::SynchronizeSync),
          InstanceMethod("memory", &Context::Memory),
          InstanceMethod("emptyCache", &Context::EmptyCache),
          InstanceMethod("info", &Context::Info),
          InstanceMethod("dispose", &Context::Dispose),
          InstanceMethod("setTf32", &Context::SetTf32),
          InstanceMethod("timingMark", &Context::TimingMark),
          InstanceMethod("timingElapsed", &Context::TimingElapsed),
          InstanceMethod("timingReset", &Context::TimingReset),
          InstanceMethod("resetPeak", &Context::ResetPeak),
          InstanceMethod("beginCapture", &Context::BeginCapture),
          InstanceMethod("endCapture", &Context::EndCapture),
          InstanceMethod("replayGraph", &Context::ReplayGraph),
          InstanceMethod("releaseGraph", &Context::ReleaseGraph),
          InstanceMethod("nccl", &Context::Nccl),
          // unary
          FH_KERNEL("Neg", Unary, fh::kNeg),
          FH_KERNEL("Abs", Unary, fh::kAbs),
          FH_KERNEL("Exp", Unary, fh::kExp),
          FH_KERNEL("Log", Unary, fh::kLog),
          FH_KERNEL("Sqrt", Unary, fh::kSqrt),
          FH_KERNEL("Rsqrt", Unary, fh::kRsqrt),
          FH_KERNEL("Reciprocal", Unary, fh::kReciprocal),
          FH_KERNEL("Sigmoid", Unary, fh::kSigmoid),
          FH_KERNEL("Silu", Unary, fh::kSilu),
          FH_KERNEL("Softplus", Unary, fh::kSoftplus),
          FH_KERNEL("Tanh", Unary, fh::kTanh),
          // binary, compare
          FH_KERNEL("Add", Binary, fh::kAdd),
          FH_KERNEL("Sub", Binary, fh::kSub),
          FH_KERNEL("Mul", Binary, fh::kMul),
          FH_KERNEL("Div", Binary, fh::kDiv),
          FH_KERNEL("Maximum", Binary, fh::kMaximum),
          FH_KERNEL("Minimum", Binary, fh::kMinimum),
          FH_KERNEL("Equal", Compare, fh::kEqual),
          FH_KERNEL("NotEqual", Compare, fh::kNotEqual),
          FH_KERNEL("Less", Compare, fh::kLess),
          FH_KERNEL("LessEqual", Compare, fh::kLessEqual),
          FH_KERNEL("Greater", Compare, fh::kGreater),
          FH_KERNEL("GreaterEqual", Compare, fh::kGreaterEqual),
          InstanceMethod("Where", &Context::Where),
          InstanceMethod("Scale", &Context::Scale),
          InstanceMethod("Clamp", &Context::Clamp),
          // reductions, scans
          FH_KERNEL("Sum", Reduce, fh::kSum),
          FH_KERNEL("Mean", Reduce, fh::kMean),
          FH_KERNEL("Max", Reduce, fh::kMax),
          InstanceMethod("ArgMax", &Context::ArgMax),
          InstanceMethod("CumSum", &Context::CumSum),
          // linear algebra, data movement
          InstanceMethod("MatMul", &Context::MatMul),
          InstanceMethod("Cast", &Context::Cast),
          InstanceMethod("Copy", &Context::Copy),
          InstanceMethod("Slice", &Context::StridedCopy),
          InstanceMethod("Transpose", &Context::StridedCopy),
          InstanceMethod("Concat", &Context::StridedCopy),
          InstanceMethod("ConcatPieces", &Context::ConcatPieces),
          InstanceMethod("Fill", &Context::Fill),
          InstanceMethod("Gather", &Context::Gather),
          InstanceMethod("ScatterAdd", &Context::ScatterAdd),
          // fused
          InstanceMethod("Softmax", &Context::Softmax),
          InstanceMethod("SoftmaxGrad", &Context::SoftmaxGrad),
          InstanceMethod("RmsNorm", &Context::RmsNorm),
          InstanceMethod("RmsNormGrad", &Context::RmsNormGrad),
          InstanceMethod("AddRmsNorm", &Context::AddRmsNorm),
          InstanceMethod("RmsNormGated", &Context::RmsNormGated),
          InstanceMethod("RmsNormGatedGrad", &Context::RmsNormGatedGrad),
          InstanceMethod("Rope", &Context::Rope),
          InstanceMethod("CausalConv1d", &Context::CausalConv1d),
          InstanceMethod("CausalConv1dGrad", &Context::CausalConv1dGrad),
          InstanceMethod("CausalConv1dUpdate", &Context::CausalConv1dUpdate),
          InstanceMethod("SsmScan", &Context::SsmScan),
          InstanceMethod("SsmScanGrad", &Context::SsmScanGrad),
          InstanceMethod("SsmStep", &Context::SsmStep),
          InstanceMethod("SsmDecodeStep", &Context::SsmDecodeStep),
          InstanceMethod("AddRmsNormMatMul", &Context::AddRmsNormMatMul),
          InstanceMethod("SwiGluPackedMatMul", &Context::SwiGluPackedMatMul),
          InstanceMethod("AddRmsNormSwiGluMlp", &Context::AddRmsNormSwiGluMlp),
          InstanceMethod("CacheWrite", &Context::CacheWrite),
          InstanceMethod("Attention", &Context::Attention),
          InstanceMethod("AttentionGrad", &Context::AttentionGrad),
          InstanceMethod("AttentionDecodeStep", &Context::AttentionDecodeStep),
          InstanceMethod("ParallelMixersDecodeStep", &Context::ParallelMixersDecodeStep),
          InstanceMethod("CrossEntropy", &Context::CrossEntropy),
          InstanceMethod("CrossEntropyGrad", &Context::CrossEntropyGrad),
          InstanceMethod("AdamW", &Context::AdamW),
          InstanceMethod("AdamWMulti", &Context::AdamWMulti),
          InstanceMethod("SwiGlu", &Context::SwiGlu),
          InstanceMethod("SwiGluGrad", &Context::SwiGluGrad),
          InstanceMethod("SwiGluPacked", &Context::SwiGluPacked),
          // LinearCrossEntropy's chunk kernels (the chunk loop and its GEMMs: src/kernels/LinearCrossEntropy.ts)
          InstanceMethod("LceChunkStats", &Context::LceChunkStats),
          InstanceMethod("LceLoss", &Context::LceLoss),
          InstanceMethod("LceChunkGrad", &Context::LceChunkGrad),
          InstanceMethod("LceAccumulate", &Context::LceAccumulate),
      });
}

/** probe(): whether a CUDA device is usable, without throwing. */
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  int runtime = 0, driver = 0, count = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  o.Set("runtimeVersion", runtime);
  o.Set("driverVersion", driver);
  o.Set("matmul", fh::matmulEngine());
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    o.Set("ok", false);
    o.Set("devices", 0);
    o.Set("reason", std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e) + " (CUDA error " +
                        std::to_string(static_cast<int>(e)) + ")");
    return o;
  }
  o.Set("devices", count);
  o.Set("ok", count > 0);
  if (count == 0) o.Set("reason", "no CUDA device is visible");
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("Context", Context::Define(env));
  exports.Set("abiVersion", 5);
  return exports;
}

}  // namespace

NODE_API_MODULE(falcon_h1_cuda, Init)
