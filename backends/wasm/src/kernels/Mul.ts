import { binaryKernel } from './elementwise-factories.js';

/** a · b, broadcast: csrc/kernels/Mul.c */
export const mul = binaryKernel('Mul', (m) => m._Mul);
