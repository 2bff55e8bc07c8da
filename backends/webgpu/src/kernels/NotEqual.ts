/** NotEqual: y = u8(a != b), broadcast. */
import { compareKernel } from './elementwise-factories.js';

export const notEqual = compareKernel('NotEqual', 'a != b');
