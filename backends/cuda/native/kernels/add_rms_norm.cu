/*
 * add_rms_norm.cu — AddRmsNorm: sum = x + residual (stored, rounded to T) and RmsNorm of that stored sum, in one
 * launch instead of an Add and an RmsNorm (a decode step is launch-bound: this saves one launch per fused pair, two
 * per layer). All arithmetic in f32, one rounding per stored value.
 *
 * One 256-thread block per row (grid-stride over rows), the row's sum kept in shared memory between the passes:
 *   1. sum = round_T(x + residual) with 16-byte loads and stores (when D and every pointer allow), kept as f32;
 *   2. Σ sum² reduced exactly as rms_norm.cu's RmsNorm reduces Σ x² — thread t takes channels t, t + 256, ... in
 *      order, then blockSum — so rstd, and therefore `normed`, are the very bits of Add followed by RmsNorm;
 *   3. normed = weight ⊙ round_T(sum · rstd), 16-byte loads of the weight and stores.
 * A Programmatic-Dependent-Launch kernel (pdl_launch.cuh): it waits for its predecessor before touching memory.
 */
#include <cmath>
#include <cstdint>

#include "add_rms_norm.cuh"
#include "common.cuh"
#include "pdl_launch.cuh"

namespace fh {

namespace {

constexpr int kThreads = 256;  // rms_norm.cu's block size: the reduction order depends on it

/** V consecutive elements of T moved as one load or store (16 bytes when vectorised, one element otherwise). */
template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

template <typename T, int V>
__global__ void addRmsNormKernel(T* __restrict__ sum, T* __restrict__ normed, const T* __restrict__ x,
                                 const T* __restrict__ residual, const T* __restrict__ w, int64_t rows, int64_t D,
                                 float eps) {
  extern __shared__ float row[];  // [D]: this row's stored sum, as f32
  __shared__ float scratch[32];
  using P = Pack<T, V>;
  const int64_t packs = D / V;
  pdl::waitForPredecessor();  // x and residual are the previous kernels' outputs
  pdl::allowDependents();
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * D;
    const P* xp = reinterpret_cast<const P*>(x + base);
    const P* rp = reinterpret_cast<const P*>(residual + base);
    P* sp = reinterpret_cast<P*>(sum + base);
    const P* wp = reinterpret_cast<const P*>(w);
    // The thread's first weight pack loads with the row (one memory round trip for both, not one after the reduce).
    P wFirst;
    if (threadIdx.x < packs) wFirst = wp[threadIdx.x];
    for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
      const P a = xp[p], b = rp[p];
      P s;
#pragma unroll
      for (int k = 0; k < V; ++k) {
        s.v[k] = fromF<T>(toF<T>(a.v[k]) + toF<T>(b.v[k]));
        row[p * V + k] = toF<T>(s.v[k]);
      }
      sp[p] = s;
    }
    __syncthreads();
    float ss = 0.f;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      float v = row[i];
      ss += v * v;
    }
    ss = blockSum(ss, scratch);
    const float rstd = 1.f / sqrtf(ss / static_cast<float>(D) + eps);
    P* np = reinterpret_cast<P*>(normed + base);
    for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
      const P wv = p == threadIdx.x ? wFirst : wp[p];
      P n;
#pragma unroll
      for (int k = 0; k < V; ++k) n.v[k] = fromF<T>(toF<T>(wv.v[k]) * roundTo<T>(row[p * V + k] * rstd));
      np[p] = n;
    }
    __syncthreads();  // the next row overwrites `row`
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T>
void launch(Ctx& ctx, T* sum, T* normed, const T* x, const T* residual, const T* w, int64_t rows, int64_t D,
            float eps) {
  constexpr int V = 16 / sizeof(T);
  const int64_t cap = int64_t(ctx.smCount) * 16;
  const unsigned grid = static_cast<unsigned>(rows < cap ? rows : cap);
  const size_t shared = size_t(D) * sizeof(float);
  const bool vector = D % V == 0 && aligned16(sum) && aligned16(normed) && aligned16(x) && aligned16(residual) &&
                      aligned16(w);
  launchPdl(ctx, "AddRmsNorm", vector ? addRmsNormKernel<T, V> : addRmsNormKernel<T, 1>, dim3(grid), dim3(kThreads),
            shared, sum, normed, x, residual, w, rows, D, eps);
  ctx.lastWrites.begin();  // the call's only stream work
  ctx.lastWrites.add(sum, size_t(rows * D) * sizeof(T));
  ctx.lastWrites.add(normed, size_t(rows * D) * sizeof(T));
}

}  // namespace

void launchAddRmsNorm(Ctx& ctx, int dtype, void* sum, void* normed, const void* x, const void* residual,
                      const void* weight, int64_t rows, int64_t D, float eps) {
  if (rows == 0 || D == 0) return;
  if (D > kAddRmsNormMaxD) throw Error("AddRmsNorm: D = " + std::to_string(D) + " exceeds the kernel's limit");
  FH_DISPATCH_FLOAT(dtype, "AddRmsNorm",
                    launch<T>(ctx, static_cast<T*>(sum), static_cast<T*>(normed), static_cast<const T*>(x),
                              static_cast<const T*>(residual), static_cast<const T*>(weight), rows, D, eps));
}

}  // namespace fh
