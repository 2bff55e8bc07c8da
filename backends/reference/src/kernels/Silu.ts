import { siluOf } from './activations.js';
import { unaryKernel } from './elementwise-factories.js';

/** x·sigmoid(x). */
export const silu = unaryKernel('Silu', siluOf);
