/** Less: y = u8(a < b), broadcast. */
import { compareKernel } from './elementwise-factories.js';

export const less = compareKernel('Less', 'a < b');
