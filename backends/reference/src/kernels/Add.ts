import { binaryKernel } from './elementwise-factories.js';

/** a + b. */
export const add = binaryKernel('Add', (a, b) => a + b);
