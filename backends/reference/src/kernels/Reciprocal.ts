import { unaryKernel } from './elementwise-factories.js';

/** 1/x. */
export const reciprocal = unaryKernel('Reciprocal', (x) => 1 / x);
