import { compareKernel } from './elementwise-factories.js';

/** u8 (a = b), broadcast: csrc/kernels/Equal.c */
export const equal = compareKernel('Equal', (m) => m._Equal);
