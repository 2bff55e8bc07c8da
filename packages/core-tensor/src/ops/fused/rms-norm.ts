/** RMSNorm and Mamba2's grouped gated RMSNorm (fused kernels `RmsNorm`, `RmsNormGated`). */
import { composeRmsNorm } from '../../compositions/rms-norm.js';
import { composeRmsNormGated } from '../../compositions/rms-norm-gated.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape, sameShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

function checkNorm(name: string, x: Tensor, weight: Tensor, eps: number): number {
  if (!isFloatDType(x.dtype)) throw new Error(`${name} needs a float tensor, got ${x.dtype}`);
  const d = x.shape[x.rank - 1];
  if (x.rank < 1 || weight.rank !== 1 || weight.shape[0] !== d) {
    throw new Error(
      `${name}: weight ${formatShape(weight.shape)} does not match the last axis of ${formatShape(x.shape)}`,
    );
  }
  if (weight.dtype !== x.dtype) throw new Error(`${name}: weight is ${weight.dtype}, x is ${x.dtype}`);
  if (!(eps >= 0)) throw new Error(`${name}: eps must be ≥ 0, got ${eps}`);
  return d!;
}

/** weight ⊙ x / √(mean(x²) + eps) over the last axis. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  checkNorm('rmsNorm', x, weight, eps);
  return runFused('RmsNorm', { x, weight }, { eps }, composeRmsNorm);
}

export interface RmsNormGatedOptions {
  eps: number;
  /** Channels per normalisation group (d_ssm / n_groups); defaults to the whole last axis. */
  groupSize?: number;
  /** false (every published Falcon-H1): gate with silu(z) first, then normalise. */
  normBeforeGate?: boolean;
}

/** Mamba2's gated RMSNorm: see the contract's RmsNormGated. */
export function rmsNormGated(x: Tensor, z: Tensor, weight: Tensor, options: RmsNormGatedOptions): Tensor {
  const d = checkNorm('rmsNormGated', x, weight, options.eps);
  if (!sameShape(x.shape, z.shape) || z.dtype !== x.dtype) {
    throw new Error(`rmsNormGated: z ${z.dtype}${formatShape(z.shape)} must match x ${x.dtype}${formatShape(x.shape)}`);
  }
  const groupSize = options.groupSize ?? d;
  if (!Number.isInteger(groupSize) || groupSize <= 0 || d % groupSize !== 0) {
    throw new Error(`rmsNormGated: groupSize ${groupSize} does not divide ${d}`);
  }
  return runFused(
    'RmsNormGated',
    { x, z, weight },
    { eps: options.eps, groupSize, normBeforeGate: options.normBeforeGate ?? false },
    composeRmsNormGated,
  );
}
