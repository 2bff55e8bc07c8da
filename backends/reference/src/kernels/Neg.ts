import { unaryKernel } from './elementwise-factories.js';

/** -x (float or i32; i32 wraps: -(-2^31) = -2^31). */
export const neg = unaryKernel('Neg', (x) => -x, true);
