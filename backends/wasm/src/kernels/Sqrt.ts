import { unaryKernel } from './elementwise-factories.js';

/** √x: csrc/kernels/Sqrt.c */
export const sqrt = unaryKernel('Sqrt', (m) => m._Sqrt);
