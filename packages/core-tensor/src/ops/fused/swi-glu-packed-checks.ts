/**
 * The input rules of SwiGlu read from one packed [gate; up] projection, shared by `swiGluPacked` and
 * `swiGluPackedMatMul` (which fuses it with the down projection after it), naming the problem; and the gate
 * multiplier's rule, which every SwiGLU op shares (`swiGlu`, `addRmsNormSwiGluMlp`).
 */
import { isFloatDType } from '../../dtype.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/** gateUp a float [..., 2I] (the last axis even and > 0), gateMultiplier finite. Returns I. */
export function checkSwiGluPacked(where: string, gateUp: Tensor, gateMultiplier: number): number {
  if (!isFloatDType(gateUp.dtype)) throw new Error(`${where}: gateUp must be a float tensor, got ${gateUp.dtype}`);
  const last = gateUp.shape[gateUp.rank - 1];
  if (gateUp.rank === 0 || last === undefined || last % 2 !== 0 || last === 0) {
    throw new Error(
      `${where}: gateUp ${formatShape(gateUp.shape)} must be [..., 2I] (the last axis even and > 0: gate then up)`,
    );
  }
  checkGateMultiplier(where, gateMultiplier);
  return last / 2;
}

/** SwiGLU's gate multiplier must be a finite number. */
export function checkGateMultiplier(where: string, gateMultiplier: number): void {
  if (!Number.isFinite(gateMultiplier))
    throw new Error(`${where}: gateMultiplier must be finite, got ${gateMultiplier}`);
}
