/** d(a·b): dy·b to a, dy·a to b, each summed over its broadcast axes. */
import { registerGradient } from '../engine.js';
import { mul } from '../ops/elementwise.js';
import { ifNeeded, outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('Mul', (dys, node, needs) => {
  const dy = outputGrad(dys, node);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(mul(dy, b), a.shape)),
    b: ifNeeded(needs, 'b', () => unbroadcast(mul(dy, a), b.shape)),
  };
});
