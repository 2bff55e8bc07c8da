/*
 * skinny_gemm.cuh — MatMul's path for a decode batch of 9–64 tokens times a 16-bit Linear weight,
 * C[M, N] = A[M, K] · B[N, K]ᵀ on tensor cores (mma.sync m16n8k16, f32 accumulation) with B streamed once.
 * Kernel, tiles and the conditions it takes: skinny_gemm.cu. (M ≤ 8 goes to mat_vec.cu first.)
 */
#pragma once

#include "mat_mul.cuh"

namespace fh {

/** Launches the product when its shape, dtype and alignment suit the kernel (skinny_gemm.cu says which). */
bool tryLaunchSkinnyGemm(Ctx& ctx, const GemmArgs& g, void* out, const void* a, const void* b, const int64_t* outerA,
                         const int64_t* outerB, int64_t outerCount);

/**
 * AddRmsNormSwiGluMlp's gate|up product with SwiGLU as its epilogue (skinny_gemm.cu's kGlu tiles): act [M, I] =
 * round(up · silu(gate · m)) with gate|up = round(a [M, K] · gateUpWeight [2I, K]ᵀ) never stored — the bits of the
 * plain product then SwiGluPacked. Launched when the plain product of those shapes would take this kernel (16-bit,
 * 9–32 rows, 2I ≤ 8192, K % 8 == 0, 16-byte aligned a and weight); false (nothing launched) otherwise.
 */
bool tryLaunchSkinnyGemmSwiGlu(Ctx& ctx, int dtype, int64_t M, int64_t I, int64_t K, void* act, const void* a,
                               const void* gateUpWeight, float gateMultiplier);

/** That kernel without the routing checks (benchmarks): dtype F16 or BF16, 1 ≤ M ≤ 64, as launchSkinnyGemm. */
void launchSkinnyGemmSwiGlu(cudaStream_t stream, int dtype, int64_t M, int64_t I, int64_t K, void* out, const void* a,
                            const void* b, float gateMultiplier);

/**
 * The kernel itself, without the routing checks (tools/cuda/micro/skinny-gemm-bench.cu times it alone):
 * dtype F16 or BF16, 1 ≤ M ≤ 64, K % 8 == 0, a and b 16-byte aligned. rowTiles 1 or 2 forces the 16- or 32-row
 * weight tile per block; 0 picks it from N and smCount as the routed calls do.
 */
void launchSkinnyGemm(cudaStream_t stream, int smCount, int dtype, int64_t M, int64_t N, int64_t K, void* out,
                      const void* a, const void* b, int rowTiles = 0);

}  // namespace fh
