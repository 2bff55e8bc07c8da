/** Tanh: y = tanh x (polynomial near 0, saturating for large |x|), elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const tanh = unaryKernel('Tanh', 'return tanh_f(v);');
