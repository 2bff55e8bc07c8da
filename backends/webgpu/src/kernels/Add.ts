/** Add: y = a + b, broadcast, float or i32. */
import { binaryKernel } from './elementwise-factories.js';

export const add = binaryKernel('Add', 'a + b', 'a + b');
