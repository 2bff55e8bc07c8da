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

/**
 * The fused kernels AddRmsNormMatMul and SwiGluPackedMatMul at decode shapes: each block first computes the
 * product's A rows in shared memory exactly as the separate kernel stores them (add_rms_norm.cu's, swi_glu.cu's),
 * then the product runs as above — one launch instead of two, the same bits.
 */
enum class MatVecPrologue { kAddRmsNorm, kSwiGluPacked };

struct MatVecPrologueArgs {
  const void* input;       // AddRmsNorm: x [M, K]; SwiGluPacked: gateUp [M, 2K] (gate | up)
  const void* residual;    // AddRmsNorm: [M, K]
  const void* normWeight;  // AddRmsNorm: [K]
  void* sum;               // AddRmsNorm: [M, K], written (x + residual, rounded)
  float eps;               // AddRmsNorm
  float gateMultiplier;    // SwiGluPacked
};

/**
 * out [M, N] = prologue(M rows) · weightᵀ, weight [N, K] (a Linear weight), one float dtype; false (nothing launched)
 * when the shape does not suit the kernel: M > 8, unaligned rows or pointers, or A's rows past 48 KB of shared memory.
 */
bool tryLaunchMatVecPrologue(Ctx& ctx, MatVecPrologue kind, int dtype, int64_t M, int64_t N, int64_t K, void* out,
                             const void* weight, const MatVecPrologueArgs& p);

/**
 * AddRmsNormSwiGluMlp's first half at decode shapes, one launch: act [M, I] = SwiGluPacked(AddRmsNorm(x, residual)
 * · gateUpWeightᵀ, gateMultiplier) with gateUpWeight [2I, K] (gate rows, then up rows), p as for kAddRmsNorm plus
 * gateMultiplier; sum written as AddRmsNormMatMul writes it. The bits of AddRmsNormMatMul then SwiGluPacked. False
 * (nothing launched) where tryLaunchMatVecPrologue would refuse the norm's shapes.
 */
bool tryLaunchMatVecNormSwiGlu(Ctx& ctx, int dtype, int64_t M, int64_t I, int64_t K, void* act,
                               const void* gateUpWeight, const MatVecPrologueArgs& p);

}  // namespace fh
