/**
 * The MLP's activation read from one packed [gate; up] projection and the bias-free down projection that reads it
 * (fused kernel `SwiGluPackedMatMul`): one kernel where a decode step ran SwiGluPacked and a MatMul back to back.
 * Decode at batch 1 is launch-bound, so the kernel saves a launch per use; the activation never leaves it.
 */
import { composeSwiGluPackedMatMul } from '../../compositions/swi-glu-packed-mat-mul.js';
import { runFused } from '../../fused-dispatch.js';
import type { Tensor } from '../../tensor.js';
import { checkProjectionWeight } from './projection-weight-check.js';
import { checkSwiGluPacked } from './swi-glu-packed-checks.js';

/**
 * swiGluPacked(gateUp, gateMultiplier) · weightᵀ for gateUp [..., 2I] and weight [N, I] (a bias-free Linear), one
 * float dtype: the same values as `linear(swiGluPacked(gateUp, gateMultiplier), weight)`. Returns [..., N].
 */
export function swiGluPackedMatMul(gateUp: Tensor, weight: Tensor, gateMultiplier = 1): Tensor {
  const where = 'swiGluPackedMatMul';
  const i = checkSwiGluPacked(where, gateUp, gateMultiplier);
  checkProjectionWeight(where, weight, gateUp, i, 'I, half the last axis of gateUp');
  return runFused('SwiGluPackedMatMul', { gateUp, weight }, { gateMultiplier }, composeSwiGluPackedMatMul);
}
