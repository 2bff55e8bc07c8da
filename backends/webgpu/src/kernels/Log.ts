/** Log: y = ln x, elementwise. */
import { unaryKernel } from './elementwise-factories.js';

export const log = unaryKernel('Log', 'return log(v);');
