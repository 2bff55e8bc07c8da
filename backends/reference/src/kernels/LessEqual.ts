import { compareKernel } from './elementwise-factories.js';

export const lessEqual = compareKernel('LessEqual', (a, b) => a <= b);
