/*
 * softmax.cu — row-wise softmax and cross-entropy, f32 arithmetic (f64 sums for the cross-entropy's long rows).
 *
 *   Softmax        y = exp(x − max) / Σ exp(x − max)
 *   SoftmaxGrad    dx = y ⊙ (dy − Σ dy ⊙ y)
 *   CrossEntropy   loss = max + log Σ exp(x − max) − x[label]        (0 for ignored rows)
 *   CrossEntropyGrad  dlogits = dloss · (exp(x − lse) − onehot)
 *
 * Rows of up to 1024 elements get one warp each (8 rows per block); longer rows one 256-thread block each.
 */
#include <cmath>

#include "common.cuh"
#include "softmax.cuh"

namespace fh {

namespace {

/** Row reductions for a group of threads that is either one warp (W = 32) or the whole block (W = 256). */
template <int W>
struct Group {
  __device__ static float sum(float v, float* scratch) {
    if (W == 32) return warpSum(v);
    return blockSum(v, scratch);
  }
  __device__ static float max(float v, float* scratch) {
    if (W == 32) return warpMax(v);
    return blockMax(v, scratch);
  }
  __device__ static int rank() { return W == 32 ? (threadIdx.x & 31) : threadIdx.x; }
  __device__ static int64_t first() { return W == 32 ? blockIdx.x * int64_t(blockDim.x >> 5) + (threadIdx.x >> 5) : blockIdx.x; }
  __device__ static int64_t step() { return W == 32 ? int64_t(gridDim.x) * (blockDim.x >> 5) : gridDim.x; }
};

template <typename T, int W>
__global__ void softmaxKernel(T* __restrict__ y, const T* __restrict__ x, int64_t rows, int64_t D) {
  __shared__ float scratch[32];
  for (int64_t r = Group<W>::first(); r < rows; r += Group<W>::step()) {
    const T* xr = x + r * D;
    T* yr = y + r * D;
    float m = -INFINITY;
    for (int64_t i = Group<W>::rank(); i < D; i += W) m = nanMax(m, toF<T>(xr[i]));
    m = Group<W>::max(m, scratch);
    float s = 0.f;
    for (int64_t i = Group<W>::rank(); i < D; i += W) s += expf(toF<T>(xr[i]) - m);
    s = Group<W>::sum(s, scratch);
    const float inv = 1.f / s;
    for (int64_t i = Group<W>::rank(); i < D; i += W) yr[i] = fromF<T>(expf(toF<T>(xr[i]) - m) * inv);
  }
}

template <typename T, int W>
__global__ void softmaxGradKernel(T* __restrict__ dx, const T* __restrict__ dy, const T* __restrict__ y, int64_t rows,
                                  int64_t D) {
  __shared__ float scratch[32];
  for (int64_t r = Group<W>::first(); r < rows; r += Group<W>::step()) {
    const int64_t base = r * D;
    float dot = 0.f;
    for (int64_t i = Group<W>::rank(); i < D; i += W) dot += toF<T>(dy[base + i]) * toF<T>(y[base + i]);
    dot = Group<W>::sum(dot, scratch);
    for (int64_t i = Group<W>::rank(); i < D; i += W)
      dx[base + i] = fromF<T>(toF<T>(y[base + i]) * (toF<T>(dy[base + i]) - dot));
  }
}

/** logsumexp of one row by a 256-thread block (f64 sum of exponentials). */
template <typename T>
__device__ float rowLogSumExp(const T* __restrict__ xr, int64_t V, float* scratch, double* dscratch) {
  float m = -INFINITY;
  for (int64_t i = threadIdx.x; i < V; i += blockDim.x) m = nanMax(m, toF<T>(xr[i]));
  m = blockMax(m, scratch);
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < V; i += blockDim.x) s += static_cast<double>(expf(toF<T>(xr[i]) - m));
  s = warpSumD(s);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) dscratch[threadIdx.x >> 5] = s;
  __syncthreads();
  double t = (threadIdx.x & 31) < (blockDim.x >> 5) ? dscratch[threadIdx.x & 31] : 0.0;
  t = warpSumD(t);
  return static_cast<float>(static_cast<double>(m) + log(t));
}

template <typename T>
__global__ void crossEntropyKernel(float* __restrict__ loss, const T* __restrict__ logits,
                                   const int32_t* __restrict__ labels, int64_t R, int64_t V, int32_t ignoreIndex,
                                   ErrorSlot* err) {
  __shared__ float scratch[32];
  __shared__ double dscratch[32];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const int32_t label = labels[r];
    if (label == ignoreIndex) {
      if (threadIdx.x == 0) loss[r] = 0.f;
      continue;
    }
    if (label < 0 || label >= V) {
      if (threadIdx.x == 0) {
        reportError(err, kErrLabel, label, static_cast<int>(r), static_cast<int>(V));
        loss[r] = 0.f;
      }
      continue;
    }
    const T* xr = logits + r * V;
    float lse = rowLogSumExp<T>(xr, V, scratch, dscratch);
    if (threadIdx.x == 0) loss[r] = lse - toF<T>(xr[label]);
  }
}

template <typename T>
__global__ void crossEntropyGradKernel(T* __restrict__ dlogits, const float* __restrict__ dloss,
                                       const T* __restrict__ logits, const int32_t* __restrict__ labels, int64_t R,
                                       int64_t V, int32_t ignoreIndex, ErrorSlot* err) {
  __shared__ float scratch[32];
  __shared__ double dscratch[32];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const int32_t label = labels[r];
    T* dr = dlogits + r * V;
    const bool bad = label != ignoreIndex && (label < 0 || label >= V);
    if (label == ignoreIndex || bad) {
      if (bad && threadIdx.x == 0) reportError(err, kErrLabel, label, static_cast<int>(r), static_cast<int>(V));
      for (int64_t i = threadIdx.x; i < V; i += blockDim.x) dr[i] = fromF<T>(0.f);
      continue;
    }
    const T* xr = logits + r * V;
    const float lse = rowLogSumExp<T>(xr, V, scratch, dscratch);
    const float g = dloss[r];
    for (int64_t i = threadIdx.x; i < V; i += blockDim.x) {
      float p = expf(toF<T>(xr[i]) - lse);
      dr[i] = fromF<T>(g * (p - (i == label ? 1.f : 0.f)));
    }
  }
}

unsigned rowGrid(const Ctx& ctx, int64_t rows, int rowsPerBlock) {
  int64_t blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
  int64_t cap = int64_t(ctx.smCount) * 16;
  return static_cast<unsigned>(blocks < cap ? (blocks < 1 ? 1 : blocks) : cap);
}

}  // namespace

void launchSoftmax(Ctx& ctx, int dtype, void* y, const void* x, int64_t rows, int64_t D) {
  if (rows == 0 || D == 0) return;
  FH_DISPATCH_FLOAT(dtype, "Softmax", {
    if (D <= 1024)
      softmaxKernel<T, 32><<<rowGrid(ctx, rows, 8), 256, 0, ctx.stream>>>(static_cast<T*>(y),
                                                                          static_cast<const T*>(x), rows, D);
    else
      softmaxKernel<T, 256><<<rowGrid(ctx, rows, 1), 256, 0, ctx.stream>>>(static_cast<T*>(y),
                                                                           static_cast<const T*>(x), rows, D);
  });
  checkLaunch("Softmax");
}

void launchSoftmaxGrad(Ctx& ctx, int dtype, void* dx, const void* dy, const void* y, int64_t rows, int64_t D) {
  if (rows == 0 || D == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SoftmaxGrad", {
    if (D <= 1024)
      softmaxGradKernel<T, 32><<<rowGrid(ctx, rows, 8), 256, 0, ctx.stream>>>(
          static_cast<T*>(dx), static_cast<const T*>(dy), static_cast<const T*>(y), rows, D);
    else
      softmaxGradKernel<T, 256><<<rowGrid(ctx, rows, 1), 256, 0, ctx.stream>>>(
          static_cast<T*>(dx), static_cast<const T*>(dy), static_cast<const T*>(y), rows, D);
  });
  checkLaunch("SoftmaxGrad");
}

void launchCrossEntropy(Ctx& ctx, int dtype, float* loss, const void* logits, const int32_t* labels, int64_t R,
                        int64_t V, int32_t ignoreIndex) {
  if (R == 0) return;
  FH_DISPATCH_FLOAT(dtype, "CrossEntropy",
                    crossEntropyKernel<T><<<rowGrid(ctx, R, 1), 256, 0, ctx.stream>>>(
                        loss, static_cast<const T*>(logits), labels, R, V, ignoreIndex, ctx.errDevice));
  checkLaunch("CrossEntropy");
}

void launchCrossEntropyGrad(Ctx& ctx, int dtype, void* dlogits, const float* dloss, const void* logits,
                            const int32_t* labels, int64_t R, int64_t V, int32_t ignoreIndex) {
  if (R == 0) return;
  FH_DISPATCH_FLOAT(dtype, "CrossEntropyGrad",
                    crossEntropyGradKernel<T><<<rowGrid(ctx, R, 1), 256, 0, ctx.stream>>>(
                        static_cast<T*>(dlogits), dloss, static_cast<const T*>(logits), labels, R, V, ignoreIndex,
                        ctx.errDevice));
  checkLaunch("CrossEntropyGrad");
}

}  // namespace fh
