import { binaryKernel } from './elementwise-factories.js';

/** a + b, broadcast: csrc/kernels/Add.c */
export const add = binaryKernel('Add', (m) => m._Add);
