/*
 * add_rms_norm.cuh — AddRmsNorm: a decode step's residual add and the RMSNorm that reads its result, one launch.
 * Kernels: add_rms_norm.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/**
 * sum = round_T(x + residual); normed = weight ⊙ round_T(sum · rsqrt(mean(sum²) + eps)) per row of D — the bits of
 * the Add kernel followed by rms_norm.cu's RmsNorm. Needs D floats of dynamic shared memory (the row's sum).
 */
void launchAddRmsNorm(Ctx& ctx, int dtype, void* sum, void* normed, const void* x, const void* residual,
                      const void* weight, int64_t rows, int64_t D, float eps);

/** The largest D the kernel takes: one row of f32 sums in the 48 KiB of shared memory a launch gets by default. */
constexpr int64_t kAddRmsNormMaxD = 48 * 1024 / 4;

}  // namespace fh
