import { binaryKernel } from './elementwise-factories.js';

/** max(a, b); NaN propagates. */
export const maximum = binaryKernel('Maximum', Math.max);
