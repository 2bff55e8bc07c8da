/** Div: y = a / b (i32: truncated, x/0 = 0), broadcast, float or i32. */
import { binaryKernel } from './elementwise-factories.js';

export const div = binaryKernel('Div', 'a / b', 'select(select(a / b, -a, b == -1), 0, b == 0)');
