import { compareKernel } from './elementwise-factories.js';

export const greater = compareKernel('Greater', (a, b) => a > b);
