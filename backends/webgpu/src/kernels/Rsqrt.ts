/** Rsqrt: y = 1/√x, elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const rsqrt = unaryKernel('Rsqrt', 'return inverseSqrt(v);');
