import { unaryKernel } from './elementwise-factories.js';

/** 1/√x. */
export const rsqrt = unaryKernel('Rsqrt', (x) => 1 / Math.sqrt(x));
