import { binaryKernel } from './elementwise-factories.js';

/** a / b (i32: truncated; division by zero gives 0), broadcast: csrc/kernels/Div.c */
export const div = binaryKernel('Div', (m) => m._Div);
