import { unaryKernel } from './elementwise-factories.js';

/** √x. */
export const sqrt = unaryKernel('Sqrt', Math.sqrt);
