/**
 * AddRmsNormSwiGluMlp composed from the two fused ops it spans — what a decode step's MLP ran before the kernel
 * existed, so a backend without it runs exactly the kernels it always did:
 *   sum, gateUp = addRmsNormMatMul(x, residual, normWeight, gateUpWeight, eps)   (its kernel, or its composition)
 *   y           = swiGluPackedMatMul(gateUp, downWeight, gateMultiplier)         (likewise)
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { addRmsNormMatMul } from '../ops/fused/add-rms-norm-mat-mul.js';
import { swiGluPackedMatMul } from '../ops/fused/swi-glu-packed-mat-mul.js';

export const composeAddRmsNormSwiGluMlp: Composition<'AddRmsNormSwiGluMlp'> = (
  { x, residual, normWeight, gateUpWeight, downWeight },
  { eps, gateMultiplier },
) =>
  tidy(() => {
    const { sum, y: gateUp } = addRmsNormMatMul(x, residual, normWeight, gateUpWeight, eps);
    return { sum, y: swiGluPackedMatMul(gateUp, downWeight, gateMultiplier) };
  });
