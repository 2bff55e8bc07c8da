import { compareKernel } from './elementwise-factories.js';

/** u8 (a < b), broadcast: csrc/kernels/Less.c */
export const less = compareKernel('Less', (m) => m._Less);
