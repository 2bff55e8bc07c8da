/**
 * AddRmsNorm composed from the two ops it fuses — what a layer ran before the kernel existed, so a backend without
 * it computes what it always did:
 *   sum    = add(x, residual)              stored (rounded) in the dtype
 *   normed = rmsNorm(sum, weight, eps)     from that stored sum (the RmsNorm kernel, or its own composition)
 */
import type { Composition } from '../fused-dispatch.js';
import { add } from '../ops/elementwise.js';
import { rmsNorm } from '../ops/fused/rms-norm.js';

export const composeAddRmsNorm: Composition<'AddRmsNorm'> = ({ x, residual, weight }, { eps }) => {
  const sum = add(x, residual);
  return { sum, normed: rmsNorm(sum, weight, eps) };
};
