/*
 * comm_stream.h — the side stream NCCL collectives run on, so that they overlap the kernels of the compute stream
 * (a data-parallel all-reduce of late layers' gradients runs while the backward pass of early layers goes on).
 *
 * Ordering, as PyTorch's ProcessGroupNCCL does it with its own streams:
 *   before a collective   the side stream waits for everything enqueued on the compute stream so far (its inputs
 *                         are written by then);
 *   after it              an event is recorded on the side stream;
 *   join                  the compute stream waits for that event: from then on every kernel of the compute stream
 *                         sees every collective issued before the join done.
 * The Context joins lazily — when a kernel, read, free or synchronisation touches a buffer a collective still uses
 * (addon.cc) — so code that issues a collective and consumes its result later gets the overlap without asking.
 * FALCON_H1_NCCL_STREAM=compute puts collectives back on the compute stream (for A/B measurements).
 */
#pragma once

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

#include "fh.h"

namespace fh {

class CommStream {
 public:
  CommStream() {
    const char* mode = std::getenv("FALCON_H1_NCCL_STREAM");
    onSide_ = !(mode != nullptr && std::strcmp(mode, "compute") == 0);
  }
  CommStream(const CommStream&) = delete;
  CommStream& operator=(const CommStream&) = delete;

  /** Whether collectives run on the side stream (false: on the compute stream, as plain kernels). */
  bool onSide() const { return onSide_; }
  /** Whether a collective issued on the side stream may still be running as far as the compute stream knows. */
  bool unjoined() const { return unjoined_; }

  /** The stream a collective issued now runs on, after making it wait for the compute stream's work so far. */
  cudaStream_t beforeCollective(cudaStream_t compute) {
    if (!onSide_) return compute;
    create();
    check(cudaEventRecord(computeReady_, compute), "cudaEventRecord(compute → NCCL stream)");
    check(cudaStreamWaitEvent(side_, computeReady_, 0), "cudaStreamWaitEvent(NCCL stream)");
    return side_;
  }
  /** Marks the collectives enqueued so far (outside an NCCL group: a group's kernels launch at groupEnd). */
  void afterCollective() {
    if (!onSide_ || side_ == nullptr) return;
    check(cudaEventRecord(sideDone_, side_), "cudaEventRecord(NCCL stream done)");
    unjoined_ = true;
  }
  /** The compute stream waits for every collective issued so far. */
  void join(cudaStream_t compute) {
    if (!unjoined_) return;
    check(cudaStreamWaitEvent(compute, sideDone_, 0), "cudaStreamWaitEvent(compute ← NCCL stream)");
    unjoined_ = false;
  }
  /** Blocks the host until the side stream is idle (before destroying a communicator or the context). */
  void synchronize() {
    if (side_ != nullptr) check(cudaStreamSynchronize(side_), "cudaStreamSynchronize(NCCL stream)");
  }
  /** Frees the stream and events (the caller has synchronised). Never throws. */
  void destroy() {
    if (side_ == nullptr) return;
    cudaStreamSynchronize(side_);
    cudaEventDestroy(computeReady_);
    cudaEventDestroy(sideDone_);
    cudaStreamDestroy(side_);
    side_ = nullptr;
    unjoined_ = false;
  }
  ~CommStream() { destroy(); }

 private:
  void create() {
    if (side_ != nullptr) return;
    // The highest priority: NCCL's kernels get SMs as soon as blocks of backward kernels retire.
    int lowest = 0, highest = 0;
    check(cudaDeviceGetStreamPriorityRange(&lowest, &highest), "cudaDeviceGetStreamPriorityRange");
    check(cudaStreamCreateWithPriority(&side_, cudaStreamNonBlocking, highest), "cudaStreamCreateWithPriority");
    check(cudaEventCreateWithFlags(&computeReady_, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    check(cudaEventCreateWithFlags(&sideDone_, cudaEventDisableTiming), "cudaEventCreateWithFlags");
  }

  bool onSide_ = true;
  bool unjoined_ = false;
  cudaStream_t side_ = nullptr;
  cudaEvent_t computeReady_ = nullptr;
  cudaEvent_t sideDone_ = nullptr;
};

}  // namespace fh
