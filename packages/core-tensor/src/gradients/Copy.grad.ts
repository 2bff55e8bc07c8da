/** d copy(x) = dy. */
import { registerGradient } from '../engine.js';
import { outputGrad } from './grad-helpers.js';

registerGradient('Copy', (dys, node) => ({ x: outputGrad(dys, node) }));
