/**
 * Falcon-H1's MLP activation read from one packed [gate; up] projection (fused kernel `SwiGluPacked`): a decode
 * step runs gate_proj and up_proj as one product against the stacked weight and this one kernel, where it ran two
 * products and SwiGlu.
 */
import { composeSwiGluPacked } from '../../compositions/swi-glu-packed.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/**
 * up ⊙ silu(gate · gateMultiplier) for gateUp [..., 2I] of a float dtype, gate = gateUp[..., :I] and
 * up = gateUp[..., I:]: the same values as swiGlu(gate, up, gateMultiplier). Returns [..., I].
 */
export function swiGluPacked(gateUp: Tensor, gateMultiplier = 1): Tensor {
  const where = 'swiGluPacked';
  if (!isFloatDType(gateUp.dtype)) throw new Error(`${where}: gateUp must be a float tensor, got ${gateUp.dtype}`);
  const last = gateUp.shape[gateUp.rank - 1];
  if (gateUp.rank === 0 || last === undefined || last % 2 !== 0 || last === 0) {
    throw new Error(
      `${where}: gateUp ${formatShape(gateUp.shape)} must be [..., 2I] (the last axis even and > 0: gate then up)`,
    );
  }
  if (!Number.isFinite(gateMultiplier))
    throw new Error(`${where}: gateMultiplier must be finite, got ${gateMultiplier}`);
  return runFused('SwiGluPacked', { gateUp }, { gateMultiplier }, composeSwiGluPacked);
}
