/** Reciprocal: y = 1/x, elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const reciprocal = unaryKernel('Reciprocal', 'return 1.0 / v;');
