import { unaryKernel } from './elementwise-factories.js';

/** |x| (floats and i32): csrc/kernels/Abs.c */
export const abs = unaryKernel('Abs', (m) => m._Abs, true);
