import { binaryKernel } from './elementwise-factories.js';

/** a − b, broadcast: csrc/kernels/Sub.c */
export const sub = binaryKernel('Sub', (m) => m._Sub);
