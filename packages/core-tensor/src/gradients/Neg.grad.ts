/** d(−x) = −dy. */
import { registerGradient } from '../engine.js';
import { neg } from '../ops/elementwise.js';
import { outputGrad } from './grad-helpers.js';

registerGradient('Neg', (dys, node) => ({ x: neg(outputGrad(dys, node)) }));
