/*
 * swi_glu.cu — SwiGlu (+Grad): y = up · silu(gate · m), elementwise with 16-bit storage and f32 arithmetic, one
 * rounding per stored value. Memory-bound: one pass reads gate and up and writes y (the composition makes three
 * passes and two temporaries), the backward reads dy, gate, up once and writes both gradients.
 */
#include "common.cuh"
#include "swi_glu.cuh"

namespace fh {

namespace {

template <typename T>
__global__ void swiGluKernel(T* __restrict__ y, const T* __restrict__ gate, const T* __restrict__ up, int64_t n,
                             float m) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    y[i] = fromF<T>(toF<T>(up[i]) * siluF(toF<T>(gate[i]) * m));
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
  FH_DISPATCH_FLOAT(dtype, "SwiGlu",
                    swiGluKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
                        static_cast<T*>(y), static_cast<const T*>(gate), static_cast<const T*>(up), n, m));
  checkLaunch("SwiGlu");
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
