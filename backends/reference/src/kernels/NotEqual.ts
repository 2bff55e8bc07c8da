import { compareKernel } from './elementwise-factories.js';

export const notEqual = compareKernel('NotEqual', (a, b) => a !== b);
