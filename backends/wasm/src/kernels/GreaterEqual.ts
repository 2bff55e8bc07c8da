import { compareKernel } from './elementwise-factories.js';

/** u8 (a ≥ b), broadcast: csrc/kernels/GreaterEqual.c */
export const greaterEqual = compareKernel('GreaterEqual', (m) => m._GreaterEqual);
