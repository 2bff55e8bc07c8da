/*
 * adamw_update.cuh — the AdamW update of one element, in f64 (device code: included by adamw.cu and adamw_multi.cu,
 * never by the host-compiled addon). One definition, so the per-tensor and the multi-tensor kernels compute the very
 * same arithmetic and agree bit for bit:
 *   m ← f32(β1·m + (1−β1)·g);  v ← f32(β2·v + (1−β2)·g²)
 *   param ← round(param·(1 − lr·wd) − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps))
 * The update reads m and v as stored (rounded to f32), like the oracle.
 */
#pragma once

#include "common.cuh"

namespace fh {

template <typename T>
__device__ __forceinline__ void adamWElement(T* __restrict__ param, const T* __restrict__ grad, float* __restrict__ m,
                                             float* __restrict__ v, int64_t i, double lr, double weightDecay,
                                             double beta1, double beta2, double eps, double biasCorrection1,
                                             double biasCorrection2) {
  const double g = toF<T>(grad[i]);
  const float mi = __double2float_rn(beta1 * m[i] + (1.0 - beta1) * g);
  const float vi = __double2float_rn(beta2 * v[i] + (1.0 - beta2) * g * g);
  m[i] = mi;
  v[i] = vi;
  const double decayed = static_cast<double>(toF<T>(param[i])) * (1.0 - lr * weightDecay);
  const double update = (lr * (mi / biasCorrection1)) / (sqrt(vi / biasCorrection2) + eps);
  param[i] = fromD<T>(decayed - update);
}

}  // namespace fh
