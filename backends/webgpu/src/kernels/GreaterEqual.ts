/** GreaterEqual: y = u8(a >= b), broadcast. */
import { compareKernel } from './elementwise-factories.js';

export const greaterEqual = compareKernel('GreaterEqual', 'a >= b');
