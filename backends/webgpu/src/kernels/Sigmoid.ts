/** Sigmoid: y = 1/(1+e^-x), stable for both signs, elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const sigmoid = unaryKernel('Sigmoid', 'return sigmoid_f(v);');
