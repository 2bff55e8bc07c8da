import { unaryKernel } from './elementwise-factories.js';

/** e^x. */
export const exp = unaryKernel('Exp', Math.exp);
