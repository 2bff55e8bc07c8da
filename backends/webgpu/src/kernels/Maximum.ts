/** Maximum: y = max(a, b), NaN propagates, broadcast, float or i32. */
import { binaryKernel } from './elementwise-factories.js';

export const maximum = binaryKernel('Maximum', 'max_nan(a, b)', 'max(a, b)');
