import { compareKernel } from './elementwise-factories.js';

export const less = compareKernel('Less', (a, b) => a < b);
