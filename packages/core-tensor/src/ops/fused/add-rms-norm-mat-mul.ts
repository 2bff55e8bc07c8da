/**
 * A residual add, its RMSNorm and the bias-free projection that reads the norm (fused kernel `AddRmsNormMatMul`):
 * one kernel where a decode step ran AddRmsNorm and a MatMul back to back (input_layernorm → [in_proj ; q|k|v],
 * pre_ff_layernorm → [gate_proj ; up_proj]). Decode at batch 1 is launch-bound, so the kernel saves a launch per
 * use; the normed activations never leave it. Its gradient, if a tape ever asks, is the composition's
 * (gradients/AddRmsNormMatMul.grad.ts).
 */
import { composeAddRmsNormMatMul } from '../../compositions/add-rms-norm-mat-mul.js';
import { runFused } from '../../fused-dispatch.js';
import type { Tensor } from '../../tensor.js';
import { checkAddRmsNorm } from './add-rms-norm-checks.js';
import { checkProjectionWeight } from './projection-weight-check.js';

/** (A type, not an interface: it is a plain record of tensors wherever one is expected.) */
export type AddRmsNormMatMulOutputs = {
  /** x + residual, in their dtype (what `addRmsNorm` returns as `sum`). */
  sum: Tensor;
  /** linear(rmsNorm(sum, normWeight, eps), weight): [..., N]. */
  y: Tensor;
};

/**
 * sum = x + residual and y = rmsNorm(sum, normWeight, eps) · weightᵀ, in one kernel where possible: x, residual
 * [..., D], normWeight [D], weight [N, D] (a bias-free Linear), one float dtype. The same values as
 * `addRmsNorm(x, residual, normWeight, eps)` followed by `linear(normed, weight)`.
 */
export function addRmsNormMatMul(
  x: Tensor,
  residual: Tensor,
  normWeight: Tensor,
  weight: Tensor,
  eps: number,
): AddRmsNormMatMulOutputs {
  const where = 'addRmsNormMatMul';
  const d = checkAddRmsNorm(where, x, residual, normWeight, eps, 'normWeight');
  checkProjectionWeight(where, weight, x, d, 'D, the last axis of x');
  return runFused(
    'AddRmsNormMatMul',
    { x, residual, normWeight, weight },
    { eps },
    composeAddRmsNormMatMul,
  ) as AddRmsNormMatMulOutputs;
}
