import { unaryKernel } from './elementwise-factories.js';

/** tanh x: csrc/kernels/Tanh.c */
export const tanh = unaryKernel('Tanh', (m) => m._Tanh);
