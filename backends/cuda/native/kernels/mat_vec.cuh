/*
 * mat_vec.cuh — MatMul's decode-step path: C[M, N] = A[M, K] · B[N, K]ᵀ for M ≤ 8 rows, one warp per output column,
 * B streamed once with 16-byte loads. Kernel and the conditions it takes: mat_vec.cu.
 */
#pragma once

#include "mat_mul.cuh"

namespace fh {

/** Launches the product when its shape and alignment suit the kernel (mat_vec.cu says which); false otherwise. */
bool tryLaunchMatVec(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                     const int64_t* outerB, int64_t outerCount);

}  // namespace fh
