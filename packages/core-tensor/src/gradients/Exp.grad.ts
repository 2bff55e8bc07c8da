/** d(eˣ) = eˣ·dy, reusing the saved output. */
import { registerGradient } from '../engine.js';
import { mul } from '../ops/elementwise.js';
import { outputGrad, savedOutput } from './grad-helpers.js';

registerGradient('Exp', (dys, node) => ({ x: mul(outputGrad(dys, node), savedOutput(node)) }));
