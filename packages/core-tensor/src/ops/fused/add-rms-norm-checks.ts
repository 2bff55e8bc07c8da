/**
 * The input rules of a residual add + RMSNorm, shared by `addRmsNorm` and `addRmsNormMatMul` (which fuses the same
 * norm with the projection after it): each refuses what the AddRmsNorm kernel cannot take, naming the problem.
 */
import { isFloatDType } from '../../dtype.js';
import { formatShape, sameShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

/**
 * x, residual [..., D] of one float dtype and shape, `weight` [D] of that dtype, eps ≥ 0, one backend. `weightName`
 * is the norm weight's name in the caller's signature (for the message). Returns D.
 */
export function checkAddRmsNorm(
  where: string,
  x: Tensor,
  residual: Tensor,
  weight: Tensor,
  eps: number,
  weightName = 'weight',
): number {
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
      `${where}: ${weightName} must be ${x.dtype}[${d}] (the last axis of x ${formatShape(x.shape)}), got ${weight.dtype}${formatShape(weight.shape)}`,
    );
  }
  if (!(eps >= 0)) throw new Error(`${where}: eps must be ≥ 0, got ${eps}`);
  if (residual.backend !== x.backend || weight.backend !== x.backend) {
    throw new Error(`${where}: x, residual and ${weightName} must live on one backend`);
  }
  return d;
}
