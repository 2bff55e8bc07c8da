import { unaryKernel } from './elementwise-factories.js';

/** 1/x: csrc/kernels/Reciprocal.c */
export const reciprocal = unaryKernel('Reciprocal', (m) => m._Reciprocal);
