import { unaryKernel } from './elementwise-factories.js';

/** ln x: csrc/kernels/Log.c */
export const log = unaryKernel('Log', (m) => m._Log);
