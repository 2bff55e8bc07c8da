/** d(1/x) = −dy/x² = −y²·dy with y the saved output. */
import { registerGradient } from '../engine.js';
import { mul, neg } from '../ops/elementwise.js';
import { outputGrad, savedOutput } from './grad-helpers.js';

registerGradient('Reciprocal', (dys, node) => {
  const y = savedOutput(node);
  return { x: neg(mul(outputGrad(dys, node), mul(y, y))) };
});
