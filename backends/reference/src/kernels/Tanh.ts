import { unaryKernel } from './elementwise-factories.js';

/** tanh x. */
export const tanh = unaryKernel('Tanh', Math.tanh);
