import { compareKernel } from './elementwise-factories.js';

/** u8 (a > b), broadcast: csrc/kernels/Greater.c */
export const greater = compareKernel('Greater', (m) => m._Greater);
