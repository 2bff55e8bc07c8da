/**
 * LinearCrossEntropy composed from core ops — the fallback, which DOES store the [R, V] logits:
 *   z = hidden · weightᵀ (MatMul, in the inputs' dtype);  loss = crossEntropy(scale · z in ≥ f32, labels)
 * For f32 and f64 inputs these are exactly the ops the model's loss ran before the fused kernel existed
 * (lm_head, the lm_head multiplier, then cross-entropy). `chunkSize` is a hint for fused kernels only.
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { scale } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/fused/cross-entropy.js';
import { matmul } from '../ops/matmul.js';
import { widen } from './precision.js';

export const composeLinearCrossEntropy: Composition<'LinearCrossEntropy'> = (
  { hidden, weight, labels },
  { scale: factor, ignoreIndex },
) => tidy(() => crossEntropy(scale(widen(matmul(hidden, weight, false, true)), factor), labels, ignoreIndex));
