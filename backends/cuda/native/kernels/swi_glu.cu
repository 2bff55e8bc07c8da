/*
 * swi_glu.cu — SwiGlu (+Grad) and SwiGluPacked: y = up · silu(gate · m), elementwise with 16-bit storage and f32
 * arithmetic, one rounding per stored value; SwiGluPacked reads gate and up as the halves of each row of one packed
 * [gate; up] projection (a decode step's gate_proj and up_proj as one product). Memory-bound: one pass reads gate
 * and up and writes y (the composition makes three passes and two temporaries), the backward reads dy, gate, up
 * once and writes both gradients. The forwards (a decode step's) are Programmatic-Dependent-Launch kernels
 * (pdl_launch.cuh): each waits first.
 */
#include "common.cuh"
#include "pdl_launch.cuh"
#include "swi_glu.cuh"

namespace fh {

namespace {

template <typename T>
__global__ void swiGluKernel(T* __restrict__ y, const T* __restrict__ gate, const T* __restrict__ up, int64_t n,
                             float m) {
  pdl::waitForPredecessor();  // gate and up are the previous kernels' outputs
  pdl::allowDependents();
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    y[i] = fromF<T>(toF<T>(up[i]) * siluF(toF<T>(gate[i]) * m));
  }
}

// SwiGluPacked: row r of gateUp [rows, 2I] holds gate then up; y [rows, I]. The same arithmetic as swiGluKernel on
// the two halves (bit-identical to SwiGlu of gate and up), so a decode step's gate_proj and up_proj can be one product.
template <typename T>
__global__ void swiGluPackedKernel(T* __restrict__ y, const T* __restrict__ gateUp, int64_t n, int64_t inner,
                                   float m) {
  pdl::waitForPredecessor();  // gateUp is the previous kernel's output (the packed projection)
  pdl::allowDependents();
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t g = i + (i / inner) * inner;  // row · 2I + column
    y[i] = fromF<T>(toF<T>(gateUp[g + inner]) * siluF(toF<T>(gateUp[g]) * m));
  }
}

template <typename T>
__global__ void swiGluGradKernel(T* __restrict__ dgate, T* __restrict__ dup, const T* __restrict__ dy,
                                 const T* __restrict__ gate, const T* __restrict__ up, int64_t n, float m) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float a = toF<T>(gate[i]) * m;
    const float d = toF<T>(dy[i]);
    dup[i] = fromF<T>(d * siluF(a));
    dgate[i] = fromF<T>(d * toF<T>(up[i]) * siluGradF(a) * m);
  }
}

}  // namespace

void launchSwiGlu(Ctx& ctx, int dtype, void* y, const void* gate, const void* up, int64_t n, float m) {
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SwiGlu", {
    launchPdl(ctx, "SwiGlu", swiGluKernel<T>, dim3(gridFor(n, 256, ctx)), dim3(256), 0, static_cast<T*>(y),
              static_cast<const T*>(gate), static_cast<const T*>(up), n, m);
    ctx.lastWrites.only(y, size_t(n) * sizeof(T));  // the call's only stream work
  });
}

void launchSwiGluPacked(Ctx& ctx, int dtype, void* y, const void* gateUp, int64_t rows, int64_t inner, float m) {
  const int64_t n = rows * inner;
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SwiGluPacked", {
    launchPdl(ctx, "SwiGluPacked", swiGluPackedKernel<T>, dim3(gridFor(n, 256, ctx)), dim3(256), 0,
              static_cast<T*>(y), static_cast<const T*>(gateUp), n, inner, m);
    ctx.lastWrites.only(y, size_t(n) * sizeof(T));  // the call's only stream work
  });
}

void launchSwiGluGrad(Ctx& ctx, int dtype, void* dgate, void* dup, const void* dy, const void* gate, const void* up,
                      int64_t n, float m) {
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "SwiGluGrad",
                    swiGluGradKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
                        static_cast<T*>(dgate), static_cast<T*>(dup), static_cast<const T*>(dy),
                        static_cast<const T*>(gate), static_cast<const T*>(up), n, m));
  checkLaunch("SwiGluGrad");
}

}  // namespace fh
