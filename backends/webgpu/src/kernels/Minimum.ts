/** Minimum: y = min(a, b), NaN propagates, broadcast, float or i32. */
import { binaryKernel } from './elementwise-factories.js';

export const minimum = binaryKernel('Minimum', 'min_nan(a, b)', 'min(a, b)');
