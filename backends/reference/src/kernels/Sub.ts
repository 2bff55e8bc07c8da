import { binaryKernel } from './elementwise-factories.js';

/** a - b. */
export const sub = binaryKernel('Sub', (a, b) => a - b);
