/** Abs: y = |x|, elementwise (float or i32). */
import { unaryKernel } from './elementwise-factories.js';

export const abs = unaryKernel('Abs', 'return abs(v);', 'return abs(v);');
