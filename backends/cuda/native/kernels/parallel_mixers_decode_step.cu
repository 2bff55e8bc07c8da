/*
 * parallel_mixers_decode_step.cu — Falcon-H1's two mixers of one decode step side by side (contract entry
 * ParallelMixersDecodeStep). The SSM step and the attention step read one packed row and write disjoint state; they
 * meet only in the output row [y | o]. One after the other on one stream, each leaves most of the GPU idle at decode
 * sizes (at batch 1 the SSM step is ~100 blocks, the attention ~130, each a chain of dependent memory round trips),
 * and the second waits for the whole chain of the first. Here:
 *
 *   stream:      … in-projection ─┬─ SsmDecodeStep (y into the row's first H·P columns) ─┬─ out-projection …
 *   side stream:                  └─ AttentionDecodeStep (o into the rest, no prefix copy) ┘
 *
 * fork: an event recorded on the stream after the in-projection, waited for by the side stream; join: an event
 * recorded on the side stream after the attention, waited for by the stream. Inside a graph capture the two events
 * become the graph's fork and join edges, so a replay runs both kernels concurrently; eagerly the two streams do the
 * same. Each kernel keeps its own grid, shared memory and registers (one fused kernel would give every block the
 * larger of the two, halving the SSM step's resident blocks at batch 32).
 *
 * Programmatic Dependent Launch (pdl_launch.cuh): both kernels follow the in-projection, so each decides its early
 * reads against the in-projection's write record; the record after the join is the union of both kernels' writes.
 * The SSM step launches at the device's greatest priority (ssmStepPriority below).
 */
#include <cstdlib>
#include <string>

#include "common.cuh"
#include "parallel_mixers_decode_step.cuh"

namespace fh {

namespace {

void ensureSideStream(Ctx& ctx) {
  if (ctx.sideStream != nullptr) return;
  check(cudaStreamCreateWithFlags(&ctx.sideStream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags(side stream)");
  check(cudaEventCreateWithFlags(&ctx.forkEvent, cudaEventDisableTiming), "cudaEventCreate(fork)");
  check(cudaEventCreateWithFlags(&ctx.joinEvent, cudaEventDisableTiming), "cudaEventCreate(join)");
}

/**
 * The launch priority of the SSM step, the longer of the two at large batch (H200, B32: ~15 µs against the
 * attention's ~12): when both kernels' blocks wait for SMs, the SSM step's go first, so the pair ends with the
 * attention's short tail instead of the SSM step's. The device's greatest priority; 0 (the stream's) with
 * FALCON_H1_CUDA_MIXER_PRIORITY=off (A/B runs). Graphs keep it: captured into the node, honoured by
 * cudaGraphInstantiateFlagUseNodePriority (addon.cc).
 */
int ssmStepPriority() {
  static const int priority = [] {
    const char* v = std::getenv("FALCON_H1_CUDA_MIXER_PRIORITY");
    if (v != nullptr && std::string(v) == "off") return 0;
    int least = 0, greatest = 0;
    check(cudaDeviceGetStreamPriorityRange(&least, &greatest), "cudaDeviceGetStreamPriorityRange");
    return greatest;
  }();
  return priority;
}

/** Launches ctx's kernels at `priority` for its lifetime (launchPdl reads ctx.launchPriority). */
class AtPriority {
 public:
  AtPriority(Ctx& ctx, int priority) : ctx_(ctx), before_(ctx.launchPriority) { ctx_.launchPriority = priority; }
  ~AtPriority() { ctx_.launchPriority = before_; }
  AtPriority(const AtPriority&) = delete;
  AtPriority& operator=(const AtPriority&) = delete;

 private:
  Ctx& ctx_;
  int before_;
};

/** Puts ctx's launches on `side` for its lifetime (the kernel launchers enqueue on ctx.stream). */
class OnStream {
 public:
  OnStream(Ctx& ctx, cudaStream_t side) : ctx_(ctx), main_(ctx.stream) { ctx_.stream = side; }
  ~OnStream() { ctx_.stream = main_; }
  OnStream(const OnStream&) = delete;
  OnStream& operator=(const OnStream&) = delete;

 private:
  Ctx& ctx_;
  cudaStream_t main_;
};

}  // namespace

void launchParallelMixersDecodeStep(Ctx& ctx, int dtype, void* out, const void* qkv, const SsmDecodeStepOperands& s,
                                    SsmDecodeArgs ssm, const AttnDecodeStepOperands& at) {
  if (!ssm.gate) throw Error("ParallelMixersDecodeStep: the SSM step's gate must be silu (y shares o's row)");
  const int64_t dSsm = ssm.H * ssm.P;
  ssm.yStride = dSsm + at.Hq * at.Dh;
  const AttnDecodeStepLayout layout{ssm.rowStride, at.qkvOffset, dSsm};
  ensureSideStream(ctx);
  const PdlWrites beforeFork = ctx.lastWrites;
  // Fork: the side stream starts after everything enqueued so far (the in-projection writing qkv).
  check(cudaEventRecord(ctx.forkEvent, ctx.stream), "cudaEventRecord(fork)");
  check(cudaStreamWaitEvent(ctx.sideStream, ctx.forkEvent, 0), "cudaStreamWaitEvent(side stream ← fork)");
  PdlWrites attentionWrites;
  {
    const OnStream side(ctx, ctx.sideStream);
    // No prefix: the SSM step writes y into the first dSsm columns of the same rows.
    launchAttentionDecodeStep(ctx, dtype, out, at.keys, at.values, qkv, at.positions, at.slots, at.sharedSlot,
                              at.qSeq, at.kSeq, at.invFreq, at.tickets, nullptr, ssm.B, at.L, at.Hq, at.Hkv, at.Dh,
                              at.scale, layout);
    attentionWrites = ctx.lastWrites;
    check(cudaEventRecord(ctx.joinEvent, ctx.sideStream), "cudaEventRecord(join)");
  }
  ctx.lastWrites = beforeFork;
  {
    const AtPriority critical(ctx, ssmStepPriority());
    launchSsmDecodeStep(ctx, dtype, out, s.convState, s.ssmState, qkv, s.convState, s.convWeight, s.convBias,
                        s.ssmState, s.dtBias, s.A, s.D, s.tickets, ssm);
  }
  // Join: what follows on the stream sees both steps done.
  check(cudaStreamWaitEvent(ctx.stream, ctx.joinEvent, 0), "cudaStreamWaitEvent(stream ← join)");
  ctx.lastWrites.merge(attentionWrites);
}

}  // namespace fh
