/** d(a + b): dy to both operands, summed over the axes each was broadcast along. */
import { registerGradient } from '../engine.js';
import { ifNeeded, outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('Add', (dys, node, needs) => {
  const dy = outputGrad(dys, node);
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(dy, savedInput(node, 'a').shape)),
    b: ifNeeded(needs, 'b', () => unbroadcast(dy, savedInput(node, 'b').shape)),
  };
});
