/** d ln(1 + eˣ) = σ(x)·dy. */
import { registerGradient } from '../engine.js';
import { mul, sigmoid } from '../ops/elementwise.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Softplus', (dys, node) => ({ x: mul(outputGrad(dys, node), sigmoid(savedInput(node, 'x'))) }));
