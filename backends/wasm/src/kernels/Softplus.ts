import { unaryKernel } from './elementwise-factories.js';

/** ln(1+e^x), stably: csrc/kernels/Softplus.c */
export const softplus = unaryKernel('Softplus', (m) => m._Softplus);
