/*
 * decode_micro_harness.h — what the decode-step microbenchmarks share: the launch context of device 0 (stream,
 * allocator, the properties the launchers read), a host vector uploaded to a new device buffer, and the time per
 * launch of a step captured `launches` times into one CUDA graph and replayed (best of five), so that the host does
 * not enter the figure — as a captured decode step replays its kernels.
 * Included by attn-decode-step-bench.cu and ssm-decode-step-bench.cu (nvcc, one translation unit each).
 */
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "allocator.h"
#include "fh.h"

namespace micro {

/** ctx ready for the kernels' launchers on device 0: a non-blocking stream, `alloc` for scratch, SM count and shared
 * memory limit; returns the device's properties (for the header line). */
inline cudaDeviceProp openContext(fh::Ctx& ctx, fh::Allocator& alloc) {
  cudaDeviceProp prop{};
  fh::check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  ctx.smCount = prop.multiProcessorCount;
  ctx.maxSharedPerBlockOptin = prop.sharedMemPerBlockOptin;
  fh::check(cudaStreamCreateWithFlags(&ctx.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  ctx.alloc = &alloc;
  return prop;
}

template <typename T>
T* upload(const std::vector<T>& host) {
  T* device = nullptr;
  fh::check(cudaMalloc(&device, host.size() * sizeof(T) + 16), "cudaMalloc");
  fh::check(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  return device;
}

/** µs per call of `step`, captured `launches` times into one graph on `stream`, best of five replays. */
inline float microsecondsPerLaunch(cudaStream_t stream, int launches, const std::function<void()>& step) {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  fh::check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "begin capture");
  for (int i = 0; i < launches; ++i) step();
  fh::check(cudaStreamEndCapture(stream, &graph), "end capture");
  fh::check(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  float best = INFINITY;
  for (int rep = 0; rep < 5; ++rep) {
    cudaEventRecord(start, stream);
    fh::check(cudaGraphLaunch(exec, stream), "graph launch");
    cudaEventRecord(stop, stream);
    fh::check(cudaEventSynchronize(stop), "sync");
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    best = std::min(best, ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  return 1000.f * best / static_cast<float>(launches);
}

}  // namespace micro
