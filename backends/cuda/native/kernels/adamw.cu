/*
 * adamw.cu — decoupled-weight-decay Adam (PyTorch's AdamW), in place, f64 arithmetic per element (the update is
 * adamw_update.cuh's adamWElement, shared with the multi-tensor kernel adamw_multi.cu).
 */
#include <cmath>

#include "adamw.cuh"
#include "adamw_update.cuh"
#include "common.cuh"

namespace fh {

namespace {

template <typename T>
__global__ void adamWKernel(T* __restrict__ param, const T* __restrict__ grad, float* __restrict__ m,
                            float* __restrict__ v, int64_t n, AdamWArgs a) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    adamWElement<T>(param, grad, m, v, i, a.lr, a.weightDecay, a.beta1, a.beta2, a.eps, a.biasCorrection1,
                    a.biasCorrection2);
  }
}

}  // namespace

void launchAdamW(Ctx& ctx, int dtype, void* param, const void* grad, float* m, float* v, int64_t n,
                 const AdamWArgs& args) {
  if (n == 0) return;
  FH_DISPATCH_FLOAT(dtype, "AdamW",
                    adamWKernel<T><<<gridFor(n, 256, ctx), 256, 0, ctx.stream>>>(
                        static_cast<T*>(param), static_cast<const T*>(grad), m, v, n, args));
  checkLaunch("AdamW");
}

}  // namespace fh
