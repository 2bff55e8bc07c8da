/** d|x| = sign(x)·dy, with sign(0) = 0 (PyTorch's convention), written with where so no NaN can appear. */
import { registerGradient } from '../engine.js';
import { greater, less, neg, where } from '../ops/elementwise.js';
import { outputGrad, savedInput, scalarLike } from './grad-helpers.js';

registerGradient('Abs', (dys, node) => {
  const dy = outputGrad(dys, node);
  const x = savedInput(node, 'x');
  const zero = scalarLike(x, 0);
  return { x: where(greater(x, zero), dy, where(less(x, zero), neg(dy), zero)) };
});
