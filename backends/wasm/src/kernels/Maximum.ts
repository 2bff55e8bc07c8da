import { binaryKernel } from './elementwise-factories.js';

/** max(a, b); NaN propagates, broadcast: csrc/kernels/Maximum.c */
export const maximum = binaryKernel('Maximum', (m) => m._Maximum);
