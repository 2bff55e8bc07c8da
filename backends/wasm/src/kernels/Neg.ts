import { unaryKernel } from './elementwise-factories.js';

/** −x (floats and i32): csrc/kernels/Neg.c */
export const neg = unaryKernel('Neg', (m) => m._Neg, true);
