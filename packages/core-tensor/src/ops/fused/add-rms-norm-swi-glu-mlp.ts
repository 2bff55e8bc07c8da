/**
 * A decode step's MLP after a pending residual add, as one fused entry (`AddRmsNormSwiGluMlp`): the add, its
 * RMSNorm, the packed [gate_proj ; up_proj] product, SwiGLU and the bias-free down projection. A backend fuses
 * across the two products where it can (CUDA: the activation as the gate|up product's epilogue, one kernel and one
 * stored intermediate fewer); one without the kernel runs `addRmsNormMatMul` then `swiGluPackedMatMul`, exactly as
 * before. Its gradient, if a tape ever asks, is that composition's (gradients/AddRmsNormSwiGluMlp.grad.ts).
 */
import { composeAddRmsNormSwiGluMlp } from '../../compositions/add-rms-norm-swi-glu-mlp.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';
import { checkAddRmsNorm } from './add-rms-norm-checks.js';
import { checkProjectionWeight } from './projection-weight-check.js';
import { checkGateMultiplier } from './swi-glu-packed-checks.js';

/** (A type, not an interface: it is a plain record of tensors wherever one is expected.) */
export type AddRmsNormSwiGluMlpOutputs = {
  /** x + residual, in their dtype (what `addRmsNorm` returns as `sum`). */
  sum: Tensor;
  /** The MLP's output [..., N]: swiGluPacked(linear(rmsNorm(sum), gateUpWeight)) · downWeightᵀ. */
  y: Tensor;
};

/**
 * sum = x + residual and y = swiGluPacked(rmsNorm(sum, normWeight, eps) · gateUpWeightᵀ, gateMultiplier) ·
 * downWeightᵀ for x, residual [..., D], normWeight [D], gateUpWeight [2I, D] (gate rows, then up rows),
 * downWeight [N, I], one float dtype: the same values as `addRmsNormMatMul` followed by `swiGluPackedMatMul`.
 */
export function addRmsNormSwiGluMlp(
  x: Tensor,
  residual: Tensor,
  normWeight: Tensor,
  gateUpWeight: Tensor,
  downWeight: Tensor,
  eps: number,
  gateMultiplier = 1,
): AddRmsNormSwiGluMlpOutputs {
  const where = 'addRmsNormSwiGluMlp';
  const d = checkAddRmsNorm(where, x, residual, normWeight, eps, 'normWeight');
  const twoI = checkProjectionWeight(where, gateUpWeight, x, d, 'D, the last axis of x');
  if (twoI % 2 !== 0 || twoI === 0) {
    throw new Error(
      `${where}: gateUpWeight ${formatShape(gateUpWeight.shape)} must be [2I, D] (gate_proj's I rows, then up_proj's)`,
    );
  }
  checkProjectionWeight(where, downWeight, x, twoI / 2, 'I, half the rows of gateUpWeight');
  checkGateMultiplier(where, gateMultiplier);
  return runFused(
    'AddRmsNormSwiGluMlp',
    { x, residual, normWeight, gateUpWeight, downWeight },
    { eps, gateMultiplier },
    composeAddRmsNormSwiGluMlp,
  ) as AddRmsNormSwiGluMlpOutputs;
}
