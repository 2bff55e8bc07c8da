/** Equal: y = u8(a == b), broadcast. */
import { compareKernel } from './elementwise-factories.js';

export const equal = compareKernel('Equal', 'a == b');
