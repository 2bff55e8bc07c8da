/**
 * Falcon-H1's MLP activation read from one packed [gate; up] projection (fused kernel `SwiGluPacked`): a decode
 * step runs gate_proj and up_proj as one product against the stacked weight and this one kernel, where it ran two
 * products and SwiGlu.
 */
import { composeSwiGluPacked } from '../../compositions/swi-glu-packed.js';
import { runFused } from '../../fused-dispatch.js';
import type { Tensor } from '../../tensor.js';
import { checkSwiGluPacked } from './swi-glu-packed-checks.js';

/**
 * up ⊙ silu(gate · gateMultiplier) for gateUp [..., 2I] of a float dtype, gate = gateUp[..., :I] and
 * up = gateUp[..., I:]: the same values as swiGlu(gate, up, gateMultiplier). Returns [..., I].
 */
export function swiGluPacked(gateUp: Tensor, gateMultiplier = 1): Tensor {
  checkSwiGluPacked('swiGluPacked', gateUp, gateMultiplier);
  return runFused('SwiGluPacked', { gateUp }, { gateMultiplier }, composeSwiGluPacked);
}
