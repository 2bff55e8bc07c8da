/*
 * rms_norm.cuh — RmsNorm (+Grad) over the last axis and Mamba2's grouped gated RmsNormGated (+Grad).
 * Kernels: rms_norm.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/** y = weight ⊙ round_T(x · rsqrt(mean(x²) + eps)) per row of D. */
void launchRmsNorm(Ctx& ctx, int dtype, void* y, const void* x, const void* weight, int64_t rows, int64_t D,
                   float eps);
/** dx, dweight (dweight summed over rows in f32, rounded once). */
void launchRmsNormGrad(Ctx& ctx, int dtype, void* dx, void* dweight, const void* dy, const void* x,
                       const void* weight, int64_t rows, int64_t D, float eps);

/** The contract's RmsNormGated: groups of groupSize consecutive channels, gate before or after the norm. */
void launchRmsNormGated(Ctx& ctx, int dtype, void* y, const void* x, const void* z, const void* weight, int64_t rows,
                        int64_t D, int64_t groupSize, float eps, bool normBeforeGate);
void launchRmsNormGatedGrad(Ctx& ctx, int dtype, void* dx, void* dz, void* dweight, const void* dy, const void* x,
                            const void* z, const void* weight, int64_t rows, int64_t D, int64_t groupSize, float eps,
                            bool normBeforeGate);

/** Bytes of dynamic shared memory the grad kernels need (the TypeScript side declines sizes beyond the device's). */
size_t rmsNormGradSharedBytes(int64_t D);
size_t rmsNormGatedGradSharedBytes(int64_t D, int64_t groupSize);

}  // namespace fh
