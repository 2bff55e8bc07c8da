/*
 * mat_mul.cuh — the MatMul primitive: a decode step's few rows times a Linear weight through mat_vec.cu (M ≤ 8) or
 * skinny_gemm.cu (9–64 rows, 16-bit, tensor cores), cuBLASLt (strided-batched, f32 accumulation, no TF32) when the
 * addon was built with it, a tiled CUDA-core GEMM otherwise (and for i32, and for the rare layout cuBLASLt has no
 * algorithm for). Kernels: mat_mul.cu, mat_vec.cu, skinny_gemm.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/**
 * Row-major C[M, N] = op(A)[M, K] · op(B)[K, N] for `batch` matrices at element strides strideA/strideB/strideC
 * (0 broadcasts), repeated for each of `outerCount` outer batches whose A/B start at the element offsets
 * outerA[o]/outerB[o] (C's outer batches are contiguous). A is [M, K] or, transposed, [K, M]; B is [K, N] or [N, K].
 */
struct GemmArgs {
  int dtype;
  bool transA, transB;
  int64_t M, N, K;
  int64_t batch;
  int64_t strideA, strideB, strideC;
};

void launchMatMul(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                  const int64_t* outerB, int64_t outerCount);

/** Creates / destroys the cuBLASLt handle, workspace and plan cache of a backend instance (no-ops without it). */
void matmulInit(Ctx& ctx);
void matmulDestroy(Ctx& ctx);

/** "cuBLASLt 130101" or "fallback GEMM (built without cuBLASLt)". */
const char* matmulEngine();

/** Calls made so far through cuBLASLt, the fallback kernel, mat_vec.cu and skinny_gemm.cu (tests, benchmarks). */
void matmulCounts(const Ctx& ctx, int64_t* lt, int64_t* fallback, int64_t* matVec, int64_t* skinny);

}  // namespace fh
