import { binaryKernel } from './elementwise-factories.js';

/** a · b (i32: the low 32 bits of the product, Math.imul). */
export const mul = binaryKernel('Mul', (a, b) => a * b, Math.imul);
