/** Sqrt: y = √x, elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const sqrt = unaryKernel('Sqrt', 'return sqrt(v);');
