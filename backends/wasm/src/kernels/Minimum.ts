import { binaryKernel } from './elementwise-factories.js';

/** min(a, b); NaN propagates, broadcast: csrc/kernels/Minimum.c */
export const minimum = binaryKernel('Minimum', (m) => m._Minimum);
