import { compareKernel } from './elementwise-factories.js';

export const greaterEqual = compareKernel('GreaterEqual', (a, b) => a >= b);
