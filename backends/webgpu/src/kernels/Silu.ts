/** Silu: y = x·sigmoid(x), elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const silu = unaryKernel('Silu', 'return silu_f(v);');
