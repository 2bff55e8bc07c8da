/**
 * AddRmsNormMatMul composed from the two ops it fuses — what a decode step ran before the kernel existed, so a
 * backend without it computes what it always did:
 *   sum, normed = addRmsNorm(x, residual, normWeight, eps)    (the AddRmsNorm kernel, or its own composition)
 *   y           = linear(normed, weight)                      the bias-free MatMul of the stored normed rows
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { addRmsNorm } from '../ops/fused/add-rms-norm.js';
import { linear } from '../ops/matmul.js';

export const composeAddRmsNormMatMul: Composition<'AddRmsNormMatMul'> = (
  { x, residual, normWeight, weight },
  { eps },
) =>
  tidy(() => {
    const { sum, normed } = addRmsNorm(x, residual, normWeight, eps);
    return { sum, y: linear(normed, weight) };
  });
