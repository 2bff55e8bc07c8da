import { unaryKernel } from './elementwise-factories.js';

/** ln x. */
export const log = unaryKernel('Log', Math.log);
