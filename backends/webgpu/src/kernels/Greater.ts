/** Greater: y = u8(a > b), broadcast. */
import { compareKernel } from './elementwise-factories.js';

export const greater = compareKernel('Greater', 'a > b');
