/*
 * ssm-decode-step-bench.cu — checks the in-place form of the CUDA SsmDecodeStep kernel (kernels/ssm_decode_step.cu,
 * the contract's SsmDecodeStepInPlace) against its out-of-place form, bit for bit, over many steps, and times both
 * the way a captured decode step runs them:
 *
 *   nvcc -std=c++17 -O3 -arch=sm_90 -I backends/cuda/native/src -I backends/cuda/native/kernels \
 *     tools/cuda/micro/ssm-decode-step-bench.cu backends/cuda/native/kernels/ssm_decode_step.cu \
 *     backends/cuda/native/src/allocator.cc -o /tmp/ssm-decode-step-bench && /tmp/ssm-decode-step-bench [B]
 *
 * In place, every block of a group reads the group's B/C conv windows and the last one to finish writes them (a
 * ticket per (row, group)): a wrong ticket count or a missed reset shows up as a state that drifts from the
 * out-of-place chain's within a few steps, so each case runs kSteps steps eagerly and then kSteps graph replays, the
 * zxbcdt row changing every step, and compares y, the conv state and the SSM state after each.
 * Timing, 200 steps captured in one graph and replayed (best of 5): "copies" is the out-of-place kernel followed by
 * the two state copies a decoder needs to carry its state (what StaticDecoder did before the in-place form), "out of
 * place" that kernel alone (ping-pong buffers: no tickets, the group's first block writes the next B/C windows), "in
 * place" the in-place kernel alone — the difference is the in-place form's tail, the last block of each group
 * shifting the group's B/C windows after the ticket —, "bf16 state" the in-place kernel with the state in bf16.
 */
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "allocator.h"
#include "fh.h"
#include "decode_micro_harness.h"
#include "ssm_decode_step.cuh"

namespace {

constexpr int kSteps = 24;
constexpr int kLaunches = 200;

struct Case {
  int64_t B, H, P, G, N, K, offset, extra;
};

template <typename T>
std::vector<T> download(const T* device, size_t count) {
  std::vector<T> host(count);
  fh::check(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost), "readback");
  return host;
}

template <typename T>
bool sameBits(const T* a, const T* b, size_t count) {
  const std::vector<T> x = download(a, count), y = download(b, count);
  return std::memcmp(x.data(), y.data(), count * sizeof(T)) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // `ssm-decode-step-bench B` runs only the cases of batch B (e.g. one case under Nsight Compute).
  const long long onlyBatch = argc >= 2 ? std::atoll(argv[1]) : 0;
  fh::Ctx ctx;
  fh::Allocator alloc(0);
  const cudaDeviceProp prop = micro::openContext(ctx, alloc);
  std::printf("%s, %d SMs: SsmDecodeStep in place vs out of place, bf16 activations, f32 state\n", prop.name,
              ctx.smCount);
  std::printf("%4s %4s %4s %3s %4s %2s %7s %10s %14s %12s %12s %14s\n", "B", "H", "P", "G", "N", "K", "offset",
              "same bits", "copies us", "out of pl us", "in place us", "bf16 state us");
  // The 0.5B's mixer (H 24, P 64, G 1, N 128, K 4) at batch 1, 16 (16-row blocks: 96 per group) and 32 (whole-head
  // blocks); an awkward one (two groups, N not a multiple of 4: the scalar state path, the generic conv).
  const Case cases[] = {{1, 24, 64, 1, 128, 4, 0, 0},
                        {16, 24, 64, 1, 128, 4, 4096, 768},
                        {32, 24, 64, 1, 128, 4, 0, 0},
                        {3, 4, 5, 2, 20, 3, 7, 5}};
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.f, 1.f);
  bool allSame = true;
  for (const Case& c : cases) {
    if (onlyBatch != 0 && c.B != onlyBatch) continue;
    const int64_t dSsm = c.H * c.P, convDim = dSsm + 2 * c.G * c.N, width = dSsm + convDim + c.H;
    const int64_t W = c.offset + width + c.extra;
    auto bf16s = [&](size_t n, float s) {
      std::vector<__nv_bfloat16> v(n);
      for (auto& x : v) x = __float2bfloat16(s * normal(rng));
      return v;
    };
    auto floats = [&](size_t n, float s, float shift) {
      std::vector<float> v(n);
      for (auto& x : v) x = shift + s * normal(rng);
      return v;
    };
    std::vector<__nv_bfloat16*> rows;
    for (int s = 0; s < kSteps; ++s) rows.push_back(micro::upload(bf16s(c.B * W, 1.f)));
    auto* convWeight = micro::upload(bf16s(convDim * c.K, 0.5f));
    auto* convBias = micro::upload(bf16s(convDim, 0.1f));
    auto* dtBias = micro::upload(floats(c.H, 0.5f, -1.f));
    std::vector<float> a = floats(c.H, 0.5f, 0.f);
    for (auto& x : a) x = -std::exp(x);
    auto* A = micro::upload(a);
    auto* D = micro::upload(floats(c.H, 1.f, 0.f));
    const std::vector<__nv_bfloat16> conv0 = bf16s(c.B * convDim * c.K, 1.f);
    const std::vector<float> state0 = floats(c.B * dSsm * c.N, 0.3f, 0.f);
    // Out of place: ping-pong between two buffers; in place: one buffer.
    __nv_bfloat16* convOut[2] = {micro::upload(conv0), micro::upload(conv0)};
    float* stateOut[2] = {micro::upload(state0), micro::upload(state0)};
    auto* convIn = micro::upload(conv0);
    auto* stateIn = micro::upload(state0);
    auto* yOut = micro::upload(std::vector<__nv_bfloat16>(c.B * dSsm));
    auto* yIn = micro::upload(std::vector<__nv_bfloat16>(c.B * dSsm));
    auto* tickets = micro::upload(std::vector<unsigned>(c.B * c.G, 0u));
    const fh::SsmDecodeArgs args{c.B, c.H, c.P, c.G, c.N, c.K, true, true, 0.f, INFINITY, W, c.offset};
    int current = 0;
    auto outOfPlace = [&](const __nv_bfloat16* row) {
      fh::launchSsmDecodeStep(ctx, fh::BF16, yOut, convOut[1 - current], stateOut[1 - current], row,
                              convOut[current], convWeight, convBias, stateOut[current], dtBias, A, D, nullptr, args);
      current = 1 - current;
    };
    auto inPlace = [&](const __nv_bfloat16* row) {
      fh::launchSsmDecodeStep(ctx, fh::BF16, yIn, convIn, stateIn, row, convIn, convWeight, convBias, stateIn, dtBias,
                              A, D, tickets, args);
    };
    auto compare = [&] {
      fh::check(cudaStreamSynchronize(ctx.stream), "step");
      return sameBits(yOut, yIn, c.B * dSsm) && sameBits(convOut[current], convIn, c.B * convDim * c.K) &&
             sameBits(stateOut[current], stateIn, c.B * dSsm * c.N) &&
             download(tickets, c.B * c.G) == std::vector<unsigned>(c.B * c.G, 0u);
    };
    bool same = true;
    for (int s = 0; s < kSteps; ++s) {  // eager steps
      outOfPlace(rows[s]);
      inPlace(rows[s]);
      same = same && compare();
    }
    // Graph replays of the in-place step (the tickets must come back zeroed every launch), one row per replay.
    for (int s = 0; s < kSteps; ++s) {
      cudaGraph_t graph;
      cudaGraphExec_t exec;
      fh::check(cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeThreadLocal), "begin capture");
      inPlace(rows[s]);
      fh::check(cudaStreamEndCapture(ctx.stream, &graph), "end capture");
      fh::check(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
      fh::check(cudaGraphLaunch(exec, ctx.stream), "graph launch");
      outOfPlace(rows[s]);
      same = same && compare();
      cudaGraphExecDestroy(exec);
      cudaGraphDestroy(graph);
    }
    allSame = allSame && same;
    const size_t convBytes = c.B * convDim * c.K * sizeof(__nv_bfloat16), stateBytes = c.B * dSsm * c.N * 4;
    const float copies = micro::microsecondsPerLaunch(ctx.stream, kLaunches, [&] {
      fh::launchSsmDecodeStep(ctx, fh::BF16, yOut, convOut[1], stateOut[1], rows[0], convOut[0], convWeight, convBias,
                              stateOut[0], dtBias, A, D, nullptr, args);
      fh::check(cudaMemcpyAsync(convOut[0], convOut[1], convBytes, cudaMemcpyDeviceToDevice, ctx.stream), "copy");
      fh::check(cudaMemcpyAsync(stateOut[0], stateOut[1], stateBytes, cudaMemcpyDeviceToDevice, ctx.stream), "copy");
      ctx.lastWrites.forget();
    });
    const float outOfPlaceUs = micro::microsecondsPerLaunch(ctx.stream, kLaunches, [&] { outOfPlace(rows[0]); });
    const float inPlaceUs = micro::microsecondsPerLaunch(ctx.stream, kLaunches, [&] { inPlace(rows[0]); });
    // The same in-place step with a 16-bit (bf16) state, as transformers keeps it: half the state's bytes.
    std::vector<__nv_bfloat16> state16(state0.size());
    for (size_t i = 0; i < state0.size(); ++i) state16[i] = __float2bfloat16(state0[i]);
    auto* stateIn16 = micro::upload(state16);
    fh::SsmDecodeArgs args16 = args;
    args16.state16 = true;
    const float inPlace16Us = micro::microsecondsPerLaunch(ctx.stream, kLaunches, [&] {
      fh::launchSsmDecodeStep(ctx, fh::BF16, yIn, convIn, stateIn16, rows[0], convIn, convWeight, convBias, stateIn16,
                              dtBias, A, D, tickets, args16);
    });
    cudaFree(stateIn16);
    std::printf("%4lld %4lld %4lld %3lld %4lld %2lld %7lld %10s %14.2f %12.2f %12.2f %14.2f\n", static_cast<long long>(c.B),
                static_cast<long long>(c.H), static_cast<long long>(c.P), static_cast<long long>(c.G),
                static_cast<long long>(c.N), static_cast<long long>(c.K), static_cast<long long>(c.offset),
                same ? "yes" : "NO", copies, outOfPlaceUs, inPlaceUs, inPlace16Us);
    for (auto* r : rows) cudaFree(r);
    for (void* p : {static_cast<void*>(convWeight), static_cast<void*>(convBias), static_cast<void*>(dtBias),
                    static_cast<void*>(A), static_cast<void*>(D), static_cast<void*>(convOut[0]),
                    static_cast<void*>(convOut[1]), static_cast<void*>(stateOut[0]), static_cast<void*>(stateOut[1]),
                    static_cast<void*>(convIn), static_cast<void*>(stateIn), static_cast<void*>(yOut),
                    static_cast<void*>(yIn), static_cast<void*>(tickets)})
      cudaFree(p);
  }
  std::printf("%s\n", allSame ? "in place equals out of place, bit for bit, every step" : "MISMATCH");
  return allSame ? 0 : 1;
}
