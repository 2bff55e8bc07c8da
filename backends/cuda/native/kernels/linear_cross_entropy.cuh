/*
 * linear_cross_entropy.cuh — the small kernels of the chunked LM-head cross-entropy. The chunk logits and the
 * gradient GEMMs go through the backend's own MatMul (src/kernels/LinearCrossEntropy.ts drives the chunk loop);
 * these kernels do the per-chunk softmax statistics and gradients. Kernels: linear_cross_entropy.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/** What every kernel of the loop needs to know about the current vocabulary chunk. */
struct LceChunk {
  int64_t R;     // rows
  int64_t C;     // vocabulary rows in this chunk
  int64_t c0;    // first vocabulary row of the chunk
  float scale;   // logits = scale · z
  int32_t ignoreIndex;
};

/**
 * Online logsumexp over one chunk: z [R, C] (the chunk's hidden·weightᵀ, dtype), per row merges the chunk's max
 * and Σ exp into runMax / runSum (f32 [R]; `first` starts them) and picks target[r] = scale·z[r, label − c0] when
 * the label falls in the chunk. Ignored rows are skipped.
 */
void launchLceChunkStats(Ctx& ctx, int dtype, const void* z, const int32_t* labels, const LceChunk& c, bool first,
                         float* runMax, float* runSum, float* target);

/**
 * loss[r] = runMax + log(runSum) − target (0 on ignored rows), and lse[r] = runMax + log(runSum) when lse is not
 * null. A label outside [0, V) that is not ignored is reported through the device error slot.
 */
void launchLceLoss(Ctx& ctx, float* loss, float* lse, const float* runMax, const float* runSum, const float* target,
                   const int32_t* labels, int64_t R, int64_t V, int32_t ignoreIndex);

/** In place over z [R, C]: g = dloss[r] · (exp(scale·z − lse[r]) − onehot) · scale, 0 on ignored rows (dtype). */
void launchLceChunkGrad(Ctx& ctx, int dtype, void* z, const float* dloss, const float* lse, const int32_t* labels,
                        const LceChunk& c);

/** acc (f32, n) = (first ? 0 : acc) + x (dtype): dhidden summed over the chunks in f32. */
void launchLceAccumulate(Ctx& ctx, int dtype, float* acc, const void* x, int64_t n, bool first);

}  // namespace fh
