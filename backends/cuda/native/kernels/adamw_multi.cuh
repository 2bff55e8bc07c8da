/*
 * adamw_multi.cuh — AdamW on many tensors in one launch, in place. Kernel: adamw_multi.cu.
 */
#pragma once

#include <vector>

#include "../src/fh.h"

namespace fh {

/** One tensor of a multi-tensor step: device pointers (param, grad of the step's dtype; m, v f32) and its hypers. */
struct AdamWTensor {
  void* param;
  const void* grad;
  float* m;
  float* v;
  int64_t n;
  double lr, weightDecay;
};

struct AdamWMultiArgs {
  double beta1, beta2, eps;
  double biasCorrection1, biasCorrection2;  // 1 − β^step, computed on the host
};

/**
 * The contract's AdamWMulti: every tensor updated exactly as launchAdamW would (same per-element code), in ONE
 * launch. The tensor table and a table of fixed-size chunks (tensor, element range) are uploaded to a scratch block
 * first (a pageable upload: not allowed during graph capture); each block of the kernel takes chunks in turn.
 */
void launchAdamWMulti(Ctx& ctx, int dtype, const std::vector<AdamWTensor>& tensors, const AdamWMultiArgs& args);

}  // namespace fh
