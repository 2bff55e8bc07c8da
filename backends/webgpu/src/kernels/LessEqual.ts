/** LessEqual: y = u8(a <= b), broadcast. */
import { compareKernel } from './elementwise-factories.js';

export const lessEqual = compareKernel('LessEqual', 'a <= b');
