import { compareKernel } from './elementwise-factories.js';

/** u8 (a ≠ b), broadcast: csrc/kernels/NotEqual.c */
export const notEqual = compareKernel('NotEqual', (m) => m._NotEqual);
