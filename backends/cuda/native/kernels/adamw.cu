/*
 * adamw.cu — decoupled-weight-decay Adam (PyTorch's AdamW), in place, f64 arithmetic per element:
 *   m ← f32(β1·m + (1−β1)·g);  v ← f32(β2·v + (1−β2)·g²)
 *   param ← round(param·(1 − lr·wd) − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps))
 * The update reads m and v as stored (rounded to f32), like the oracle.
 */
#include <cmath>

#include "adamw.cuh"
#include "common.cuh"

namespace fh {

namespace {

template <typename T>
__global__ void adamWKernel(T* __restrict__ param, const T* __restrict__ grad, float* __restrict__ m,
                            float* __restrict__ v, int64_t n, AdamWArgs a) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const double g = toF<T>(grad[i]);
    const float mi = __double2float_rn(a.beta1 * m[i] + (1.0 - a.beta1) * g);
    const float vi = __double2float_rn(a.beta2 * v[i] + (1.0 - a.beta2) * g * g);
    m[i] = mi;
    v[i] = vi;
    const double decayed = static_cast<double>(toF<T>(param[i])) * (1.0 - a.lr * a.weightDecay);
    const double update = (a.lr * (mi / a.biasCorrection1)) / (sqrt(vi / a.biasCorrection2) + a.eps);
    param[i] = fromD<T>(decayed - update);
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
