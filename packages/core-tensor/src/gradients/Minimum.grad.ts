/**
 * d min(a, b): dy goes to the smaller operand; on a tie (a = b) each operand gets dy/2, as in PyTorch's
 * `torch.minimum`. Where either operand is NaN (the output is NaN) neither gets a gradient.
 */
import { registerGradient } from '../engine.js';
import { equal, greater, less, scale, where } from '../ops/elementwise.js';
import { ifNeeded, outputGrad, savedInput, scalarLike, unbroadcast } from './grad-helpers.js';

registerGradient('Minimum', (dys, node, needs) => {
  const dy = outputGrad(dys, node);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  const zero = scalarLike(dy, 0);
  const tie = where(equal(a, b), scale(dy, 0.5), zero);
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(where(less(a, b), dy, tie), a.shape)),
    b: ifNeeded(needs, 'b', () => unbroadcast(where(greater(a, b), dy, tie), b.shape)),
  };
});
