/** Falcon-H1's MLP activation with its gate multiplier (fused kernel `SwiGlu`). */
import { composeSwiGlu } from '../../compositions/swi-glu.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape, sameShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';
import { checkGateMultiplier } from './swi-glu-packed-checks.js';

/** up ⊙ silu(gate · gateMultiplier) for gate, up [..., I] of one shape and float dtype. */
export function swiGlu(gate: Tensor, up: Tensor, gateMultiplier = 1): Tensor {
  if (!isFloatDType(gate.dtype) || gate.dtype !== up.dtype) {
    throw new Error(`swiGlu: gate and up must share a float dtype, got ${gate.dtype} and ${up.dtype}`);
  }
  if (!sameShape(gate.shape, up.shape)) {
    throw new Error(`swiGlu: gate ${formatShape(gate.shape)} and up ${formatShape(up.shape)} must have one shape`);
  }
  checkGateMultiplier('swiGlu', gateMultiplier);
  return runFused('SwiGlu', { gate, up }, { gateMultiplier }, composeSwiGlu);
}
