/**
 * A residual add and the RMSNorm of its result (fused kernel `AddRmsNorm`): one kernel where a decode step ran an
 * Add and an RmsNorm back to back (h + branches then pre_ff_layernorm; a layer's output then the next layer's
 * input_layernorm). Both results are returned: the sum is the residual stream the layer carries on. Decode is
 * launch-bound, so the kernel saves a launch per use; its gradient, if a tape ever asks, is the composition's
 * (gradients/AddRmsNorm.grad.ts).
 */
import { composeAddRmsNorm } from '../../compositions/add-rms-norm.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape, sameShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/** (A type, not an interface: it is a plain record of tensors wherever one is expected.) */
export type AddRmsNormOutputs = {
  /** x + residual, in their dtype (what `add` returns). */
  sum: Tensor;
  /** rmsNorm(sum, weight, eps) (what `rmsNorm` of that sum returns). */
  normed: Tensor;
};

/** sum = x + residual and weight ⊙ sum / √(mean(sum²) + eps) over the last axis, in one kernel where possible. */
export function addRmsNorm(x: Tensor, residual: Tensor, weight: Tensor, eps: number): AddRmsNormOutputs {
  const where = 'addRmsNorm';
  if (!isFloatDType(x.dtype) || x.rank < 1) {
    throw new Error(`${where}: x must be a float tensor [..., D], got ${x.dtype}${formatShape(x.shape)}`);
  }
  if (residual.dtype !== x.dtype || !sameShape(residual.shape, x.shape)) {
    throw new Error(
      `${where}: residual ${residual.dtype}${formatShape(residual.shape)} must match x ${x.dtype}${formatShape(x.shape)} (no broadcasting)`,
    );
  }
  const d = x.shape[x.rank - 1]!;
  if (weight.dtype !== x.dtype || weight.rank !== 1 || weight.shape[0] !== d) {
    throw new Error(
      `${where}: weight must be ${x.dtype}[${d}] (the last axis of x ${formatShape(x.shape)}), got ${weight.dtype}${formatShape(weight.shape)}`,
    );
  }
  if (!(eps >= 0)) throw new Error(`${where}: eps must be ≥ 0, got ${eps}`);
  if (residual.backend !== x.backend || weight.backend !== x.backend) {
    throw new Error(`${where}: x, residual and weight must live on one backend`);
  }
  return runFused('AddRmsNorm', { x, residual, weight }, { eps }, composeAddRmsNorm) as AddRmsNormOutputs;
}
