/*
 * linear_cross_entropy.cu — per-chunk kernels of LinearCrossEntropy (+Grad). The [R, V] logits never exist: the TS
 * driver computes one vocabulary chunk z = hidden · weight[c0 : c0 + C]ᵀ at a time with the backend's GEMM, then
 *   forward:  launchLceChunkStats merges the chunk into a running (max, Σ exp) per row — an online logsumexp —
 *             and picks the label's logit; launchLceLoss finishes loss = lse − logit[label];
 *   backward: the same stats pass gives lse; per chunk, launchLceChunkGrad turns z into
 *             g = dloss · (softmax − onehot) · scale in place, and two GEMMs add g·W_c into dhidden (f32,
 *             launchLceAccumulate) and write gᵀ·hidden into dweight's rows c0 … c0 + C − 1.
 * All softmax arithmetic is f32 (16-bit z is read as stored, once rounded by the GEMM).
 */
#include <cmath>

#include "common.cuh"
#include "linear_cross_entropy.cuh"

namespace fh {

namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void chunkStatsKernel(const T* __restrict__ z, const int32_t* __restrict__ labels, LceChunk c, bool first,
                                 float* __restrict__ runMax, float* __restrict__ runSum, float* __restrict__ target) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const int32_t label = labels[r];
  if (label == c.ignoreIndex) return;  // uniform over the block
  const T* row = z + r * c.C;
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < c.C; j += blockDim.x) m = nanMax(m, c.scale * toF<T>(row[j]));
  m = blockMax(m, scratch);
  float s = 0.f;
  for (int64_t j = threadIdx.x; j < c.C; j += blockDim.x) s += expf(c.scale * toF<T>(row[j]) - m);
  s = blockSum(s, scratch);
  if (threadIdx.x == 0) {
    if (first) {
      runMax[r] = m;
      runSum[r] = s;
    } else {
      const float old = runMax[r];
      const float merged = nanMax(old, m);
      runSum[r] = runSum[r] * expf(old - merged) + s * expf(m - merged);
      runMax[r] = merged;
    }
    const int64_t local = static_cast<int64_t>(label) - c.c0;
    if (local >= 0 && local < c.C) target[r] = c.scale * toF<T>(row[local]);
  }
}

__global__ void lossKernel(float* __restrict__ loss, float* __restrict__ lse, const float* __restrict__ runMax,
                           const float* __restrict__ runSum, const float* __restrict__ target,
                           const int32_t* __restrict__ labels, int64_t R, int64_t V, int32_t ignoreIndex,
                           ErrorSlot* err) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < R; r += int64_t(gridDim.x) * blockDim.x) {
    const int32_t label = labels[r];
    if (label == ignoreIndex) {
      loss[r] = 0.f;
      if (lse) lse[r] = 0.f;
      continue;
    }
    if (label < 0 || label >= V) {
      reportError(err, kErrLabel, label, static_cast<int>(r), static_cast<int>(V));
      loss[r] = NAN;
      if (lse) lse[r] = NAN;
      continue;
    }
    const float l = runMax[r] + logf(runSum[r]);
    loss[r] = l - target[r];
    if (lse) lse[r] = l;
  }
}

template <typename T>
__global__ void chunkGradKernel(T* __restrict__ z, const float* __restrict__ dloss, const float* __restrict__ lse,
                                const int32_t* __restrict__ labels, LceChunk c) {
  const int64_t n = c.R * c.C;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / c.C;
    const int64_t j = i - r * c.C;
    const int32_t label = labels[r];
    float g = 0.f;
    if (label != c.ignoreIndex) {
      const float p = expf(c.scale * toF<T>(z[i]) - lse[r]);
      g = dloss[r] * (p - (c.c0 + j == label ? 1.f : 0.f)) * c.scale;
    }
    z[i] = fromF<T>(g);
  }
}

template <typename T>
__global__ void accumulateKernel(float* __restrict__ acc, const T* __restrict__ x, int64_t n, bool first) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    acc[i] = (first ? 0.f : acc[i]) + toF<T>(x[i]);
  }
}

}  // namespace

void launchLceChunkStats(Ctx& ctx, int dtype, const void* z, const int32_t* labels, const LceChunk& c, bool first,
                         float* runMax, float* runSum, float* target) {
  if (c.R == 0 || c.C == 0) return;
  FH_DISPATCH_FLOAT(dtype, "LinearCrossEntropy (chunk stats)",
                    chunkStatsKernel<T><<<static_cast<unsigned>(c.R), kThreads, 0, ctx.stream>>>(
                        static_cast<const T*>(z), labels, c, first, runMax, runSum, target));
  checkLaunch("LinearCrossEntropy (chunk stats)");
}

void launchLceLoss(Ctx& ctx, float* loss, float* lse, const float* runMax, const float* runSum, const float* target,
                   const int32_t* labels, int64_t R, int64_t V, int32_t ignoreIndex) {
  if (R == 0) return;
  lossKernel<<<gridFor(R, kThreads, ctx), kThreads, 0, ctx.stream>>>(loss, lse, runMax, runSum, target, labels, R, V,
                                                                     ignoreIndex, ctx.errDevice);
  checkLaunch("LinearCrossEntropy (loss)");
}

void launchLceChunkGrad(Ctx& ctx, int dtype, void* z, const float* dloss, const float* lse, const int32_t* labels,
                        const LceChunk& c) {
  const int64_t n = c.R * c.C;
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "LinearCrossEntropyGrad (chunk)",
                    chunkGradKernel<T><<<gridFor(n, kThreads, ctx), kThreads, 0, ctx.stream>>>(
                        static_cast<T*>(z), dloss, lse, labels, c));
  checkLaunch("LinearCrossEntropyGrad (chunk)");
}

void launchLceAccumulate(Ctx& ctx, int dtype, float* acc, const void* x, int64_t n, bool first) {
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "LinearCrossEntropyGrad (accumulate)",
                    accumulateKernel<T><<<gridFor(n, kThreads, ctx), kThreads, 0, ctx.stream>>>(
                        acc, static_cast<const T*>(x), n, first));
  checkLaunch("LinearCrossEntropyGrad (accumulate)");
}

}  // namespace fh
