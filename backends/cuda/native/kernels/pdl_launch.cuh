/*
 * pdl_launch.cuh — Programmatic Dependent Launch (PDL, compute capability 9.0+) for the decode path's kernels.
 *
 * Why: a decode step is a chain of ~440 small kernels (one CUDA graph per token) where each kernel's fixed costs —
 * launch, ramp-up of its blocks, the tail where the last blocks drain — cost as much as its work. With PDL the next
 * kernel of the stream is launched while its predecessor still runs: its blocks are resident and waiting when the
 * predecessor's last block retires (launch and ramp overlap the predecessor's tail), and work that does not depend on
 * the predecessor runs before the wait. The matrix-vector kernel (mat_vec.cu) uses that to stream its WEIGHT rows —
 * all the bytes it moves — while the previous kernel finishes, reading the activations only after the wait.
 *
 * How: launchPdl() launches with cudaLaunchAttributeProgrammaticStreamSerialization when ctx.pdl (set by addon.cc:
 * compute capability >= 9 and FALCON_H1_CUDA_PDL != off, the A/B switch), a plain launch otherwise. The kernel calls
 * pdl::waitForPredecessor() (griddepcontrol.wait: returns once the predecessor grid has completed and its writes are
 * visible) and then pdl::allowDependents() (griddepcontrol.launch_dependents: the next PDL kernel may start once every
 * block of this grid has called it or exited); common.cuh has both.
 *
 * INVARIANT (common.cuh states it next to the two functions): every PDL kernel waits before it reads anything another
 * kernel may have written and before it writes anything, and allows its dependents only after its wait. Hence when a
 * PDL kernel starts, every kernel before it on the stream has completed except at most its immediate predecessor —
 * and that one may still be running only if it is itself a PDL kernel (a plain kernel triggers at its completion; a
 * memcpy, event or graph launch between them is an ordinary full dependency). Reading before the wait is therefore
 * safe exactly for data the immediate predecessor does not write: ctx.lastWrites (src/pdl_writes.h) records what that
 * is, when known, and mat_vec.cu prefetches its weights only when they are outside it.
 *
 * Converted (wait, then allow, at the top): matVecKernel (mat_vec.cu) and skinnyGemmKernel (skinny_gemm.cu) — both
 * may load their weight before the wait —, ssmDecodeStepKernel and ssmDecodeStepWideKernel (their state rows, conv
 * windows and weights and dt's parameters before the wait) and attnDecodeStepKernel (its first cache tile before the
 * wait), addRmsNormKernel (add_rms_norm.cu), swiGluKernel (swi_glu.cu), stridedCopyKernel and concatKernel (layout.cu:
 * Slice, Transpose, Concat), gatherKernel (layout.cu: the embedding), argMaxKernel and argMaxRowBlockKernel
 * (reduce.cu). Their launchers record the ranges they write.
 */
#pragma once

#include <string>
#include <utility>

#include "common.cuh"

namespace fh {

/**
 * Whether a PDL kernel about to be launched may read [p, p + bytes) before its wait: PDL is on and the stream's last
 * enqueued work is known not to write any of it (the invariant above).
 */
inline bool readableBeforeWait(const Ctx& ctx, const void* p, size_t bytes) {
  return ctx.pdl && !ctx.lastWrites.mayHaveWritten(p, bytes);
}

/**
 * Launches kernel<<<grid, block, shared, ctx.stream>>>(args...) — with the PDL attribute when ctx.pdl (the kernel
 * must follow the invariant above), at ctx.launchPriority when that is set. A launch failure throws an fh::Error
 * naming `what`.
 */
template <typename... Params, typename... Args>
void launchPdl(const Ctx& ctx, const char* what, void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared,
               Args&&... args) {
  if (!ctx.pdl && ctx.launchPriority == 0) {
    kernel<<<grid, block, shared, ctx.stream>>>(std::forward<Args>(args)...);
    checkLaunch(what);
    return;
  }
  cudaLaunchAttribute attributes[2]{};
  unsigned count = 0;
  if (ctx.pdl) {
    attributes[count].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attributes[count++].val.programmaticStreamSerializationAllowed = 1;
  }
  if (ctx.launchPriority != 0) {
    attributes[count].id = cudaLaunchAttributePriority;
    attributes[count++].val.priority = ctx.launchPriority;
  }
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared;
  config.stream = ctx.stream;
  config.attrs = attributes;
  config.numAttrs = count;
  const cudaError_t e = cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
  if (e != cudaSuccess) {
    cudaGetLastError();  // the error is reported here, not by the next launch's check
    throw Error(std::string(what) + " kernel launch (PDL): " + cudaGetErrorString(e) + " (CUDA error " +
                std::to_string(static_cast<int>(e)) + ")");
  }
}

}  // namespace fh
