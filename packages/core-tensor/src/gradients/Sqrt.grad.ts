/** d(√x) = dy / (2√x), reusing the saved output. */
import { registerGradient } from '../engine.js';
import { div, scale } from '../ops/elementwise.js';
import { outputGrad, savedOutput } from './grad-helpers.js';

registerGradient('Sqrt', (dys, node) => ({ x: div(outputGrad(dys, node), scale(savedOutput(node), 2)) }));
