/** Cross-entropy of logits against integer labels (fused kernel `CrossEntropy`). */
import { composeCrossEntropy } from '../../compositions/cross-entropy.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/** Per-row losses [R] of logits [R, V] against labels i32 [R]; rows labelled `ignoreIndex` (default −100) give 0. */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  if (!isFloatDType(logits.dtype) || logits.rank !== 2) {
    throw new Error(`crossEntropy: logits must be float [R, V], got ${logits.dtype}${formatShape(logits.shape)}`);
  }
  if (labels.dtype !== 'i32' || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(
      `crossEntropy: labels must be i32[${logits.shape[0]}], got ${labels.dtype}${formatShape(labels.shape)}`,
    );
  }
  return runFused('CrossEntropy', { logits, labels }, { ignoreIndex }, composeCrossEntropy);
}
