/*
 * adamw.cuh — the AdamW optimizer step, in place. Kernel: adamw.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

struct AdamWArgs {
  double lr, beta1, beta2, eps, weightDecay;
  double biasCorrection1, biasCorrection2;  // 1 − β^step, computed on the host
};

/** param (dtype), grad (dtype), m, v (f32), n elements: the contract's AdamW, updated in place. */
void launchAdamW(Ctx& ctx, int dtype, void* param, const void* grad, float* m, float* v, int64_t n,
                 const AdamWArgs& args);

}  // namespace fh
