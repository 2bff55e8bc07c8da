/** Neg: y = -x, elementwise (float or i32). */
import { unaryKernel } from './elementwise-factories.js';

export const neg = unaryKernel('Neg', 'return -v;', 'return -v;');
