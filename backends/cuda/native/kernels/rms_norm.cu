/*
 * rms_norm.cu — RMSNorm and Mamba2's gated RMSNorm, forward and backward, all arithmetic in f32.
 *
 * RmsNorm (transformers' FalconH1RMSNorm):  r = 1/√(mean(x²) + eps);  n = round_T(x·r);  y = weight ⊙ n
 *   backward: g = dy ⊙ weight;  dx = r·(g − (x·r)·mean(g ⊙ x·r));  dweight = Σ_rows dy ⊙ n
 * RmsNormGated, per group of `groupSize` channels:
 *   normBeforeGate = false: g = x ⊙ silu(z); r = 1/√(mean(g²) + eps); y = weight ⊙ g·r
 *   normBeforeGate = true:  r = 1/√(mean(x²) + eps);  y = weight ⊙ x·r ⊙ silu(z)
 *   backward as in the reference oracle (backends/reference/src/kernels/RmsNormGated.ts).
 *
 * One 256-thread block per row (grid-stride over rows). Thread t always owns channels t, t+256, ..., so the
 * dweight partial sums of a block live in shared memory (RmsNormGrad: in registers, up to D = 2048) without atomics;
 * each block writes its row of partials and a column-sum kernel adds them (deterministically) and rounds once to the
 * weight's dtype. Group sums are warp
 * reductions plus one shared-memory atomic per warp (per lane only where a warp straddles two groups).
 */
#include <cmath>

#include "common.cuh"
#include "rms_norm.cuh"

namespace fh {

namespace {

constexpr int kThreads = 256;

/**
 * sums[i / groupSize] += v for the 32 lanes of a warp holding consecutive channels i: one warp reduction and one
 * shared-memory atomic when the whole warp is in one group (the usual case: Falcon-H1 groups are ≥ 32 wide), else
 * one atomic per lane. Every lane of the warp must call it (valid = false contributes nothing).
 */
__device__ __forceinline__ void groupAdd(float* sums, int64_t i, bool valid, int64_t groupSize, float v) {
  const int64_t g = valid ? i / groupSize : -1;
  const int64_t g0 = __shfl_sync(0xffffffffu, g, 0);
  if (__all_sync(0xffffffffu, g == g0)) {
    const float s = warpSum(v);
    if ((threadIdx.x & 31) == 0) atomicAdd(sums + g0, s);
  } else if (valid) {
    atomicAdd(sums + g, v);
  }
}

template <typename T>
__global__ void rmsNormKernel(T* __restrict__ y, const T* __restrict__ x, const T* __restrict__ w, int64_t rows,
                              int64_t D, float eps) {
  __shared__ float scratch[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * D;
    float ss = 0.f;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      float v = toF<T>(xr[i]);
      ss += v * v;
    }
    ss = blockSum(ss, scratch);
    const float rstd = 1.f / sqrtf(ss / static_cast<float>(D) + eps);
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
      y[r * D + i] = fromF<T>(toF<T>(w[i]) * roundTo<T>(toF<T>(xr[i]) * rstd));
  }
}

template <typename T>
__global__ void rmsNormGradKernel(T* __restrict__ dx, float* __restrict__ dwPartials, const T* __restrict__ dy,
                                  const T* __restrict__ x, const T* __restrict__ w, int64_t rows, int64_t D,
                                  float eps) {
  extern __shared__ float dwPart[];  // [D]
  __shared__ float scratch[32];
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x) dwPart[i] = 0.f;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * D;
    float ss = 0.f;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      float v = toF<T>(x[base + i]);
      ss += v * v;
    }
    ss = blockSum(ss, scratch);
    const float rstd = 1.f / sqrtf(ss / static_cast<float>(D) + eps);
    float gn = 0.f;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
      gn += toF<T>(dy[base + i]) * toF<T>(w[i]) * toF<T>(x[base + i]) * rstd;
    gn = blockSum(gn, scratch) / static_cast<float>(D);
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const float xv = toF<T>(x[base + i]), dyv = toF<T>(dy[base + i]);
      const float n = xv * rstd;
      dx[base + i] = fromF<T>(rstd * (dyv * toF<T>(w[i]) - n * gn));
      dwPart[i] += dyv * roundTo<T>(n);
    }
  }
  // Thread t owns channels t, t+blockDim, ...: its partial sums need no synchronisation.
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x) dwPartials[blockIdx.x * D + i] = dwPart[i];
}

/**
 * RmsNormGrad with the row in registers (D ≤ 256·kPer): thread t owns channels t, t + 256, ... as rmsNormGradKernel's
 * threads do, and sums them in that order, so dx has that kernel's bits; but x and dy are read once per row (the
 * old kernel reads them three and two times) and four blocks share an SM (rowBlocks(…, 4)), so more rows are in
 * flight — a row is a chain of two block reductions, the kernel was bound by that chain (148 µs for the 0.5B's
 * [8192, 1024], ~12 µs of bytes). dweight's per-block partial sums as before; their count (the blocks) sets the order
 * of its sum.
 */
template <typename T, int kPer>
__global__ void __launch_bounds__(kThreads, 4)
    rmsNormGradRowKernel(T* __restrict__ dx, float* __restrict__ dwPartials, const T* __restrict__ dy,
                         const T* __restrict__ x, const T* __restrict__ w, int64_t rows, int64_t D, float eps) {
  __shared__ float scratch[32];
  float wv[kPer], dwp[kPer];
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    const int64_t i = threadIdx.x + int64_t(k) * kThreads;
    wv[k] = i < D ? toF<T>(w[i]) : 0.f;
    dwp[k] = 0.f;
  }
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * D;
    float xv[kPer], dyv[kPer];
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      const int64_t i = threadIdx.x + int64_t(k) * kThreads;
      xv[k] = i < D ? toF<T>(x[base + i]) : 0.f;
      dyv[k] = i < D ? toF<T>(dy[base + i]) : 0.f;
    }
    // Channels past D add 0 to both sums: the same values as rmsNormGradKernel's loops, which skip them.
    float ss = 0.f;
#pragma unroll
    for (int k = 0; k < kPer; ++k) ss += xv[k] * xv[k];
    ss = blockSum(ss, scratch);
    const float rstd = 1.f / sqrtf(ss / static_cast<float>(D) + eps);
    float gn = 0.f;
#pragma unroll
    for (int k = 0; k < kPer; ++k) gn += dyv[k] * wv[k] * xv[k] * rstd;
    gn = blockSum(gn, scratch) / static_cast<float>(D);
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      const int64_t i = threadIdx.x + int64_t(k) * kThreads;
      if (i >= D) continue;
      const float n = xv[k] * rstd;
      dx[base + i] = fromF<T>(rstd * (dyv[k] * wv[k] - n * gn));
      dwp[k] += dyv[k] * roundTo<T>(n);
    }
  }
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    const int64_t i = threadIdx.x + int64_t(k) * kThreads;
    if (i < D) dwPartials[blockIdx.x * D + i] = dwp[k];
  }
}

/**
 * out[d] = round(Σ_b partials[b, d]) with a block per 32 columns: warp v sums the rows b ≡ v (mod 8) in order, then
 * the eight sums add in order v = 0..7 — deterministic, with 8× the loads in flight of one thread per column summing
 * every partial row (what it replaced: tens of µs over a few hundred rows).
 */
template <typename T>
__global__ void columnSumStripedKernel(T* __restrict__ out, const float* __restrict__ partials, int64_t blocks,
                                       int64_t D) {
  __shared__ float part[kThreads / 32][33];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t d = int64_t(blockIdx.x) * 32 + lane;
  float s = 0.f;
  if (d < D)
    for (int64_t b = warp; b < blocks; b += kThreads / 32) s += partials[b * D + d];
  part[warp][lane] = s;
  __syncthreads();
  if (warp == 0 && d < D) {
    float t = 0.f;
#pragma unroll
    for (int v = 0; v < kThreads / 32; ++v) t += part[v][lane];
    out[d] = fromF<T>(t);
  }
}

template <typename T>
__global__ void rmsNormGatedKernel(T* __restrict__ y, const T* __restrict__ x, const T* __restrict__ z,
                                   const T* __restrict__ w, int64_t rows, int64_t D, int64_t groupSize, float eps,
                                   bool normBeforeGate) {
  extern __shared__ float groupSum[];  // [D / groupSize]
  const int64_t groups = D / groupSize;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * D;
    for (int64_t g = threadIdx.x; g < groups; g += blockDim.x) groupSum[g] = 0.f;
    __syncthreads();
    for (int64_t w0 = threadIdx.x & ~int64_t(31); w0 < D; w0 += blockDim.x) {
      const int64_t i = w0 + (threadIdx.x & 31);
      float pre = 0.f;
      if (i < D) {
        pre = toF<T>(x[base + i]);
        if (!normBeforeGate) pre *= siluF(toF<T>(z[base + i]));
      }
      groupAdd(groupSum, i, i < D, groupSize, pre * pre);
    }
    __syncthreads();
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const float rstd = 1.f / sqrtf(groupSum[i / groupSize] / static_cast<float>(groupSize) + eps);
      const float xv = toF<T>(x[base + i]), s = siluF(toF<T>(z[base + i])), wv = toF<T>(w[i]);
      y[base + i] = fromF<T>(normBeforeGate ? wv * xv * rstd * s : wv * xv * s * rstd);
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void rmsNormGatedGradKernel(T* __restrict__ dx, T* __restrict__ dz, float* __restrict__ dwPartials,
                                       const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ z,
                                       const T* __restrict__ w, int64_t rows, int64_t D, int64_t groupSize, float eps,
                                       bool normBeforeGate) {
  extern __shared__ float smem[];
  const int64_t groups = D / groupSize;
  float* dwPart = smem;             // [D]
  float* sumSq = smem + D;          // [groups]
  float* sumDnN = sumSq + groups;   // [groups]
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x) dwPart[i] = 0.f;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * D;
    for (int64_t g = threadIdx.x; g < groups; g += blockDim.x) {
      sumSq[g] = 0.f;
      sumDnN[g] = 0.f;
    }
    __syncthreads();
    for (int64_t w0 = threadIdx.x & ~int64_t(31); w0 < D; w0 += blockDim.x) {
      const int64_t i = w0 + (threadIdx.x & 31);
      float pre = 0.f;
      if (i < D) {
        const float xv = toF<T>(x[base + i]);
        pre = normBeforeGate ? xv : xv * siluF(toF<T>(z[base + i]));
      }
      groupAdd(sumSq, i, i < D, groupSize, pre * pre);
    }
    __syncthreads();
    for (int64_t w0 = threadIdx.x & ~int64_t(31); w0 < D; w0 += blockDim.x) {
      const int64_t i = w0 + (threadIdx.x & 31);
      float v = 0.f;
      if (i < D) {
        const int64_t g = i / groupSize;
        const float rstd = 1.f / sqrtf(sumSq[g] / static_cast<float>(groupSize) + eps);
        const float xv = toF<T>(x[base + i]), s = siluF(toF<T>(z[base + i]));
        const float pre = normBeforeGate ? xv : xv * s;
        const float dn = toF<T>(dy[base + i]) * toF<T>(w[i]) * (normBeforeGate ? s : 1.f);
        v = dn * pre * rstd;
      }
      groupAdd(sumDnN, i, i < D, groupSize, v);
    }
    __syncthreads();
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const int64_t g = i / groupSize;
      const float rstd = 1.f / sqrtf(sumSq[g] / static_cast<float>(groupSize) + eps);
      const float mean = sumDnN[g] / static_cast<float>(groupSize);
      const float xv = toF<T>(x[base + i]), zv = toF<T>(z[base + i]), s = siluF(zv);
      const float dyv = toF<T>(dy[base + i]), wv = toF<T>(w[i]);
      const float pre = normBeforeGate ? xv : xv * s;
      const float n = pre * rstd;
      const float dn = dyv * wv * (normBeforeGate ? s : 1.f);
      const float dpre = rstd * (dn - n * mean);
      if (normBeforeGate) {
        dx[base + i] = fromF<T>(dpre);
        dz[base + i] = fromF<T>(dyv * wv * n * siluGradF(zv));
        dwPart[i] += dyv * n * s;
      } else {
        dx[base + i] = fromF<T>(dpre * s);
        dz[base + i] = fromF<T>(dpre * xv * siluGradF(zv));
        dwPart[i] += dyv * n;
      }
    }
    __syncthreads();
  }
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x) dwPartials[blockIdx.x * D + i] = dwPart[i];
}

unsigned rowBlocks(const Ctx& ctx, int64_t rows, int perSm) {
  int64_t cap = int64_t(ctx.smCount) * perSm;
  return static_cast<unsigned>(rows < cap ? (rows < 1 ? 1 : rows) : cap);
}

template <typename K>
void allowShared(K kernel, size_t bytes, const Ctx& ctx, const char* what) {
  if (bytes > ctx.maxSharedPerBlockOptin)
    throw Error(std::string(what) + ": needs " + std::to_string(bytes) + " bytes of shared memory, the device allows " +
                std::to_string(ctx.maxSharedPerBlockOptin));
  if (bytes > 48 * 1024)
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
          "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
}

}  // namespace

size_t rmsNormGradSharedBytes(int64_t D) { return static_cast<size_t>(D) * sizeof(float); }
size_t rmsNormGatedGradSharedBytes(int64_t D, int64_t groupSize) {
  return static_cast<size_t>(D + 2 * (D / groupSize)) * sizeof(float);
}

void launchRmsNorm(Ctx& ctx, int dtype, void* y, const void* x, const void* weight, int64_t rows, int64_t D,
                   float eps) {
  if (rows == 0 || D == 0) return;
  FH_DISPATCH_FLOAT(dtype, "RmsNorm",
                    rmsNormKernel<T><<<rowBlocks(ctx, rows, 16), kThreads, 0, ctx.stream>>>(
                        static_cast<T*>(y), static_cast<const T*>(x), static_cast<const T*>(weight), rows, D, eps));
  checkLaunch("RmsNorm");
}

void launchRmsNormGrad(Ctx& ctx, int dtype, void* dx, void* dweight, const void* dy, const void* x,
                       const void* weight, int64_t rows, int64_t D, float eps) {
  if (D == 0) return;
  // The row in registers where it fits in 8 values per thread (D ≤ 2048: every Falcon-H1 width up to 3B), four
  // blocks per SM; else rmsNormGradKernel (the row's partial dweight in shared memory), two per SM.
  const int per = D <= kThreads * 4 ? 4 : D <= kThreads * 8 ? 8 : 0;
  const unsigned blocks = rowBlocks(ctx, rows, per > 0 ? 4 : 2);
  Scratch partials(*ctx.alloc, static_cast<size_t>(blocks) * D * sizeof(float));
  if (rows == 0) FH_CHECK(cudaMemsetAsync(partials.as<float>(), 0, blocks * D * sizeof(float), ctx.stream));
  const size_t shared = rmsNormGradSharedBytes(D);
  FH_DISPATCH_FLOAT(dtype, "RmsNormGrad", {
    if (rows > 0) {
      T* pdx = static_cast<T*>(dx);
      const T *pdy = static_cast<const T*>(dy), *px = static_cast<const T*>(x), *pw = static_cast<const T*>(weight);
      if (per == 4) {
        rmsNormGradRowKernel<T, 4><<<blocks, kThreads, 0, ctx.stream>>>(pdx, partials.as<float>(), pdy, px, pw, rows,
                                                                         D, eps);
      } else if (per == 8) {
        rmsNormGradRowKernel<T, 8><<<blocks, kThreads, 0, ctx.stream>>>(pdx, partials.as<float>(), pdy, px, pw, rows,
                                                                         D, eps);
      } else {
        allowShared(rmsNormGradKernel<T>, shared, ctx, "RmsNormGrad");
        rmsNormGradKernel<T><<<blocks, kThreads, shared, ctx.stream>>>(pdx, partials.as<float>(), pdy, px, pw, rows,
                                                                       D, eps);
      }
    }
    columnSumStripedKernel<T><<<static_cast<unsigned>((D + 31) / 32), kThreads, 0, ctx.stream>>>(
        static_cast<T*>(dweight), partials.as<float>(), blocks, D);
  });
  checkLaunch("RmsNormGrad");
}

void launchRmsNormGated(Ctx& ctx, int dtype, void* y, const void* x, const void* z, const void* weight, int64_t rows,
                        int64_t D, int64_t groupSize, float eps, bool normBeforeGate) {
  if (rows == 0 || D == 0) return;
  const size_t shared = static_cast<size_t>(D / groupSize) * sizeof(float);
  FH_DISPATCH_FLOAT(dtype, "RmsNormGated", {
    allowShared(rmsNormGatedKernel<T>, shared, ctx, "RmsNormGated");
    rmsNormGatedKernel<T><<<rowBlocks(ctx, rows, 16), kThreads, shared, ctx.stream>>>(
        static_cast<T*>(y), static_cast<const T*>(x), static_cast<const T*>(z), static_cast<const T*>(weight), rows,
        D, groupSize, eps, normBeforeGate);
  });
  checkLaunch("RmsNormGated");
}

void launchRmsNormGatedGrad(Ctx& ctx, int dtype, void* dx, void* dz, void* dweight, const void* dy, const void* x,
                            const void* z, const void* weight, int64_t rows, int64_t D, int64_t groupSize, float eps,
                            bool normBeforeGate) {
  if (D == 0) return;
  const unsigned blocks = rowBlocks(ctx, rows, 2);
  Scratch partials(*ctx.alloc, static_cast<size_t>(blocks) * D * sizeof(float));
  if (rows == 0) FH_CHECK(cudaMemsetAsync(partials.as<float>(), 0, blocks * D * sizeof(float), ctx.stream));
  const size_t shared = rmsNormGatedGradSharedBytes(D, groupSize);
  FH_DISPATCH_FLOAT(dtype, "RmsNormGatedGrad", {
    if (rows > 0) {
      allowShared(rmsNormGatedGradKernel<T>, shared, ctx, "RmsNormGatedGrad");
      rmsNormGatedGradKernel<T><<<blocks, kThreads, shared, ctx.stream>>>(
          static_cast<T*>(dx), static_cast<T*>(dz), partials.as<float>(), static_cast<const T*>(dy),
          static_cast<const T*>(x), static_cast<const T*>(z), static_cast<const T*>(weight), rows, D, groupSize, eps,
          normBeforeGate);
    }
    columnSumStripedKernel<T><<<static_cast<unsigned>((D + 31) / 32), kThreads, 0, ctx.stream>>>(
        static_cast<T*>(dweight), partials.as<float>(), blocks, D);
  });
  checkLaunch("RmsNormGatedGrad");
}

}  // namespace fh
