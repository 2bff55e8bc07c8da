/** d(a − b): dy to a, −dy to b, each summed over its broadcast axes. */
import { registerGradient } from '../engine.js';
import { neg } from '../ops/elementwise.js';
import { ifNeeded, outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('Sub', (dys, node, needs) => {
  const dy = outputGrad(dys, node);
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(dy, savedInput(node, 'a').shape)),
    b: ifNeeded(needs, 'b', () => neg(unbroadcast(dy, savedInput(node, 'b').shape))),
  };
});
