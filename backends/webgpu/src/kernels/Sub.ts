/** Sub: y = a − b, broadcast, float or i32. */
import { binaryKernel } from './elementwise-factories.js';

export const sub = binaryKernel('Sub', 'a - b', 'a - b');
