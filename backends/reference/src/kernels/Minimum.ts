import { binaryKernel } from './elementwise-factories.js';

/** min(a, b); NaN propagates. */
export const minimum = binaryKernel('Minimum', Math.min);
