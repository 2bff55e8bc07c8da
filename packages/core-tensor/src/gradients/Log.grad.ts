/** d(ln x) = dy / x. */
import { registerGradient } from '../engine.js';
import { div } from '../ops/elementwise.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Log', (dys, node) => ({ x: div(outputGrad(dys, node), savedInput(node, 'x')) }));
