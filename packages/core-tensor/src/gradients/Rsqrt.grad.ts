/** d(x^−½) = −½·x^−3/2·dy = −½·y³·dy with y the saved output. */
import { registerGradient } from '../engine.js';
import { mul, scale } from '../ops/elementwise.js';
import { outputGrad, savedOutput } from './grad-helpers.js';

registerGradient('Rsqrt', (dys, node) => {
  const y = savedOutput(node);
  return { x: mul(outputGrad(dys, node), scale(mul(y, mul(y, y)), -0.5)) };
});
