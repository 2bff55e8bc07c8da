import { softplusOf } from './activations.js';
import { unaryKernel } from './elementwise-factories.js';

/** ln(1+e^x), computed stably as max(x,0) + log1p(e^-|x|). */
export const softplus = unaryKernel('Softplus', softplusOf);
