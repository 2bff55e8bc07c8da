import { compareKernel } from './elementwise-factories.js';

export const equal = compareKernel('Equal', (a, b) => a === b);
