/*
 * adamw_multi.cu — multi-tensor AdamW: one launch for a whole parameter list instead of one per tensor (hundreds of
 * launches a step for a Falcon-H1 model). The host lays out a device table — the tensors (pointers, sizes, lr,
 * weight decay) followed by chunks of at most kChunk elements (tensor index, element range) — and the kernel's blocks
 * walk the chunks with a grid-stride loop, each element updated by adamw_update.cuh's adamWElement, the code the
 * per-tensor kernel runs, so results are bit-identical to per-tensor AdamW.
 */
#include <cstring>

#include "adamw_multi.cuh"
#include "adamw_update.cuh"
#include "common.cuh"

namespace fh {

namespace {

constexpr int64_t kChunk = 65536;
constexpr int kThreads = 256;

struct Chunk {
  int64_t tensor;
  int64_t begin, end;
};

template <typename T>
__global__ void adamWMultiKernel(const AdamWTensor* __restrict__ tensors, const Chunk* __restrict__ chunks,
                                 int64_t numChunks, AdamWMultiArgs a) {
  for (int64_t c = blockIdx.x; c < numChunks; c += gridDim.x) {
    const Chunk ch = chunks[c];
    const AdamWTensor t = tensors[ch.tensor];
    T* param = static_cast<T*>(t.param);
    const T* grad = static_cast<const T*>(t.grad);
    for (int64_t i = ch.begin + threadIdx.x; i < ch.end; i += blockDim.x) {
      adamWElement<T>(param, grad, t.m, t.v, i, t.lr, t.weightDecay, a.beta1, a.beta2, a.eps, a.biasCorrection1,
                      a.biasCorrection2);
    }
  }
}

}  // namespace

void launchAdamWMulti(Ctx& ctx, int dtype, const std::vector<AdamWTensor>& tensors, const AdamWMultiArgs& args) {
  std::vector<Chunk> chunks;
  for (size_t t = 0; t < tensors.size(); ++t) {
    for (int64_t begin = 0; begin < tensors[t].n; begin += kChunk) {
      const int64_t end = begin + kChunk < tensors[t].n ? begin + kChunk : tensors[t].n;
      chunks.push_back(Chunk{static_cast<int64_t>(t), begin, end});
    }
  }
  if (chunks.empty()) return;
  // One upload of both tables (the chunk table starts 8-byte aligned: sizeof(AdamWTensor) is a multiple of 8).
  const size_t tensorBytes = tensors.size() * sizeof(AdamWTensor);
  const size_t chunkBytes = chunks.size() * sizeof(Chunk);
  std::vector<uint8_t> host(tensorBytes + chunkBytes);
  std::memcpy(host.data(), tensors.data(), tensorBytes);
  std::memcpy(host.data() + tensorBytes, chunks.data(), chunkBytes);
  Scratch table(*ctx.alloc, host.size());
  // Pageable source: the runtime has staged it when the call returns, so `host` may go at the end of this scope.
  check(cudaMemcpyAsync(table.as<uint8_t>(), host.data(), host.size(), cudaMemcpyHostToDevice, ctx.stream),
        "cudaMemcpyAsync(AdamWMulti table)");
  const auto* deviceTensors = reinterpret_cast<const AdamWTensor*>(table.as<uint8_t>());
  const auto* deviceChunks = reinterpret_cast<const Chunk*>(table.as<uint8_t>() + tensorBytes);
  const int64_t numChunks = static_cast<int64_t>(chunks.size());
  const int64_t cap = static_cast<int64_t>(ctx.smCount) * 16;
  const unsigned grid = static_cast<unsigned>(numChunks < cap ? numChunks : cap);
  FH_DISPATCH_FLOAT(dtype, "AdamWMulti",
                    adamWMultiKernel<T><<<grid, kThreads, 0, ctx.stream>>>(deviceTensors, deviceChunks, numChunks,
                                                                          args));
  checkLaunch("AdamWMulti");
}

}  // namespace fh
