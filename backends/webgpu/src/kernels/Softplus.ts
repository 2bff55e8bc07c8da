/** Softplus: y = max(x,0) + log1p(e^-|x|), elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const softplus = unaryKernel('Softplus', 'return softplus_f(v);');
