/**
 * A residual add and the RMSNorm of its result (fused kernel `AddRmsNorm`): one kernel where a decode step ran an
 * Add and an RmsNorm back to back (h + branches then pre_ff_layernorm; a layer's output then the next layer's
 * input_layernorm). Both results are returned: the sum is the residual stream the layer carries on. Decode is
 * launch-bound, so the kernel saves a launch per use; its gradient, if a tape ever asks, is the composition's
 * (gradients/AddRmsNorm.grad.ts).
 */
import { composeAddRmsNorm } from '../../compositions/add-rms-norm.js';
import { runFused } from '../../fused-dispatch.js';
import type { Tensor } from '../../tensor.js';
import { checkAddRmsNorm } from './add-rms-norm-checks.js';

/** (A type, not an interface: it is a plain record of tensors wherever one is expected.) */
export type AddRmsNormOutputs = {
  /** x + residual, in their dtype (what `add` returns). */
  sum: Tensor;
  /** rmsNorm(sum, weight, eps) (what `rmsNorm` of that sum returns). */
  normed: Tensor;
};

/** sum = x + residual and weight ⊙ sum / √(mean(sum²) + eps) over the last axis, in one kernel where possible. */
export function addRmsNorm(x: Tensor, residual: Tensor, weight: Tensor, eps: number): AddRmsNormOutputs {
  checkAddRmsNorm('addRmsNorm', x, residual, weight, eps);
  return runFused('AddRmsNorm', { x, residual, weight }, { eps }, composeAddRmsNorm) as AddRmsNormOutputs;
}
