import { binaryKernel } from './elementwise-factories.js';

/** a / b (i32: truncated toward zero; division by zero gives 0). */
export const div = binaryKernel(
  'Div',
  (a, b) => a / b,
  (a, b) => Math.trunc(a / b),
);
