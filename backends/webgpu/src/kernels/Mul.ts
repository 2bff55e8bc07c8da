/** Mul: y = a · b, broadcast, float or i32. */
import { binaryKernel } from './elementwise-factories.js';

export const mul = binaryKernel('Mul', 'a * b', 'a * b');
