/*
 * pdl_writes.h — what the last work enqueued on a context's stream may write, when that is known: the record that
 * lets a Programmatic-Dependent-Launch kernel read an input BEFORE it waits for its predecessor. Its readers ask
 * readableBeforeWait (kernels/pdl_launch.cuh, which explains PDL and the invariant this relies on): the decode MatMuls'
 * weights (mat_vec.cu, skinny_gemm.cu), the SSM step's state and conv/dt parameters, the attention step's cache.
 *
 * Kept at two levels:
 *   - a PDL launcher whose kernel is the last (in practice: the only) stream work of its N-API call records the byte
 *     ranges that kernel writes (begin(), then add() per range);
 *   - addon.cc brackets every N-API call that may enqueue stream work with beginCall() / endCall(): a call that did
 *     not record (a kernel not converted to PDL, a memcpy, cuBLASLt, NCCL, an event, a graph launch, a capture
 *     boundary, an exception) leaves the record unknown. Calls that enqueue nothing (alloc, free, counters) leave it
 *     as it is. Joining the NCCL side stream (a cudaStreamWaitEvent) forgets it too.
 * The reset comes at the END of a call that did not record, not at its start: a call's own launcher must still see
 * what the previous call's kernel writes when it decides. Unknown means "anything may have been written": no early
 * read.
 *
 * A graph capture records the launch parameters (the prefetch flag among them) of the eager calls it sees, and a
 * replay runs the kernels in the captured order with the same predecessors, so the decisions stay valid on replay.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace fh {

class PdlWrites {
 public:
  /** The most ranges one record holds (AttentionDecodeStep writes seven: out, the cache's keys and values, its
   * chunk partials m, l, o and the tickets; ParallelMixersDecodeStep those and the SSM step's three). */
  static constexpr int kMaxRanges = 12;

  /** addon.cc, before a call's body. */
  void beginCall() { recorded_ = false; }
  /** addon.cc, after a call's body (ok = false when it threw): unrecorded work makes the record unknown. */
  void endCall(bool ok) {
    if (!ok || !recorded_) forget();
  }
  void forget() {
    known_ = false;
    count_ = 0;
  }
  /** Starts the record of a kernel just enqueued: it writes nothing but the ranges added with add(). */
  void begin() {
    known_ = true;
    recorded_ = true;
    count_ = 0;
  }
  /** begin() then add(p, bytes): a kernel that writes one range. */
  void only(const void* p, size_t bytes) {
    begin();
    add(p, bytes);
  }
  /** [p, p + bytes) is written by the kernel begun with begin(). */
  void add(const void* p, size_t bytes) {
    if (bytes == 0) return;
    if (count_ == kMaxRanges) {  // more than a kernel should write: say "unknown" rather than drop a range
      known_ = false;
      return;
    }
    const uintptr_t b = reinterpret_cast<uintptr_t>(p);
    ranges_[count_++] = Range{b, b + bytes};
  }
  /** Adds everything `other` records (two kernels that ran side by side and were joined): unknown stays unknown. */
  void merge(const PdlWrites& other) {
    if (!other.known_) {
      known_ = false;
      return;
    }
    for (int i = 0; i < other.count_; ++i)
      add(reinterpret_cast<const void*>(other.ranges_[i].begin), other.ranges_[i].end - other.ranges_[i].begin);
  }
  /** Whether the last enqueued work may have written any byte of [p, p + bytes) (true when that is unknown). */
  bool mayHaveWritten(const void* p, size_t bytes) const {
    if (!known_) return true;
    const uintptr_t b = reinterpret_cast<uintptr_t>(p), e = b + bytes;
    for (int i = 0; i < count_; ++i)
      if (b < ranges_[i].end && ranges_[i].begin < e) return true;
    return false;
  }

 private:
  struct Range {
    uintptr_t begin, end;
  };
  Range ranges_[kMaxRanges] = {};
  int count_ = 0;
  bool known_ = false;     // ranges_ lists everything the stream's last enqueued work may write
  bool recorded_ = false;  // the current N-API call has recorded
};

}  // namespace fh
