import { unaryKernel } from './elementwise-factories.js';

/** e^x: csrc/kernels/Exp.c */
export const exp = unaryKernel('Exp', (m) => m._Exp);
