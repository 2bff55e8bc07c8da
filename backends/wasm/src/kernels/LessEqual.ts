import { compareKernel } from './elementwise-factories.js';

/** u8 (a ≤ b), broadcast: csrc/kernels/LessEqual.c */
export const lessEqual = compareKernel('LessEqual', (m) => m._LessEqual);
