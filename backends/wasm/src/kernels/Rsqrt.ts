import { unaryKernel } from './elementwise-factories.js';

/** 1/√x: csrc/kernels/Rsqrt.c */
export const rsqrt = unaryKernel('Rsqrt', (m) => m._Rsqrt);
