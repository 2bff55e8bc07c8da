import { unaryKernel } from './elementwise-factories.js';

/** 1/(1+e^−x): csrc/kernels/Sigmoid.c */
export const sigmoid = unaryKernel('Sigmoid', (m) => m._Sigmoid);
