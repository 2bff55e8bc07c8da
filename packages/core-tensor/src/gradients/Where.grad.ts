/**
 * d where(c, a, b): where(c, dy, 0) to a and where(c, 0, dy) to b (so an unselected branch never sees dy, and an
 * infinite or NaN value there cannot leak into the gradient), each summed over its broadcast axes. The
 * condition gets no gradient.
 */
import { registerGradient } from '../engine.js';
import { where } from '../ops/elementwise.js';
import { ifNeeded, outputGrad, savedInput, scalarLike, unbroadcast } from './grad-helpers.js';

registerGradient('Where', (dys, node, needs) => {
  const dy = outputGrad(dys, node);
  const condition = savedInput(node, 'condition');
  const zero = scalarLike(dy, 0);
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(where(condition, dy, zero), savedInput(node, 'a').shape)),
    b: ifNeeded(needs, 'b', () => unbroadcast(where(condition, zero, dy), savedInput(node, 'b').shape)),
  };
});
