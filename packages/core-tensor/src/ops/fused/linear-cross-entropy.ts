/** The language-model head fused with its cross-entropy (fused kernel `LinearCrossEntropy`). */
import { composeLinearCrossEntropy } from '../../compositions/linear-cross-entropy.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

export interface LinearCrossEntropyOptions {
  /** Multiplies the logits (Falcon-H1's lm_head_multiplier); default 1. */
  scale?: number;
  /** Rows with this label give 0 (default −100, transformers' ignore index). */
  ignoreIndex?: number;
  /** Vocabulary rows per chunk for fused kernels (default 0: the backend chooses). */
  chunkSize?: number;
}

/**
 * Per-row losses [R] of the logits scale · hidden · weightᵀ against labels i32 [R], without storing the [R, V]
 * logits where the backend has the fused kernel. hidden [R, D], weight [V, D] (the head's [out, in] layout).
 */
export function linearCrossEntropy(
  hidden: Tensor,
  weight: Tensor,
  labels: Tensor,
  options: LinearCrossEntropyOptions = {},
): Tensor {
  const { scale = 1, ignoreIndex = -100, chunkSize = 0 } = options;
  if (!isFloatDType(hidden.dtype) || hidden.rank !== 2) {
    throw new Error(`linearCrossEntropy: hidden must be float [R, D], got ${hidden.dtype}${formatShape(hidden.shape)}`);
  }
  if (weight.dtype !== hidden.dtype || weight.rank !== 2 || weight.shape[1] !== hidden.shape[1]) {
    throw new Error(
      `linearCrossEntropy: weight must be ${hidden.dtype}[V, ${hidden.shape[1]}], got ${weight.dtype}${formatShape(weight.shape)}`,
    );
  }
  if (labels.dtype !== 'i32' || labels.rank !== 1 || labels.shape[0] !== hidden.shape[0]) {
    throw new Error(
      `linearCrossEntropy: labels must be i32[${hidden.shape[0]}], got ${labels.dtype}${formatShape(labels.shape)}`,
    );
  }
  if (!Number.isFinite(scale)) throw new Error(`linearCrossEntropy: scale must be finite, got ${scale}`);
  if (!Number.isInteger(ignoreIndex)) throw new Error(`linearCrossEntropy: ignoreIndex must be an integer`);
  if (!Number.isInteger(chunkSize) || chunkSize < 0) {
    throw new Error(`linearCrossEntropy: chunkSize must be an integer ≥ 0, got ${chunkSize}`);
  }
  return runFused(
    'LinearCrossEntropy',
    { hidden, weight, labels },
    { scale, ignoreIndex, chunkSize },
    composeLinearCrossEntropy,
  );
}
