/*
 * softmax.cuh — Softmax / SoftmaxGrad over the last axis and CrossEntropy / CrossEntropyGrad per row.
 * Kernels: softmax.cu.
 */
#pragma once

#include "../src/fh.h"

namespace fh {

/** y[r, :] = softmax(x[r, :]) for rows × D. */
void launchSoftmax(Ctx& ctx, int dtype, void* y, const void* x, int64_t rows, int64_t D);
/** dx = y ⊙ (dy − Σ(dy ⊙ y)) per row. */
void launchSoftmaxGrad(Ctx& ctx, int dtype, void* dx, const void* dy, const void* y, int64_t rows, int64_t D);

/** loss[r] (f32) = logsumexp(logits[r]) − logits[r, label[r]], 0 where label = ignoreIndex; bad labels reported. */
void launchCrossEntropy(Ctx& ctx, int dtype, float* loss, const void* logits, const int32_t* labels, int64_t R,
                        int64_t V, int32_t ignoreIndex);
/** dlogits[r] = dloss[r] · (softmax(logits[r]) − onehot(label[r])), 0 for ignored rows. dloss f32. */
void launchCrossEntropyGrad(Ctx& ctx, int dtype, void* dlogits, const float* dloss, const void* logits,
                            const int32_t* labels, int64_t R, int64_t V, int32_t ignoreIndex);

}  // namespace fh
