/** Exp: y = e^x, elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const exp = unaryKernel('Exp', 'return exp(v);');
