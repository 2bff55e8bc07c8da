/** d(a + b): dy to both operands, summed over the axes each was broadcast along. */
import { registerGradient } from '../engine.js';
import { outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('Add', (dys, node) => {
  const dy = outputGrad(dys, node);
  return { a: unbroadcast(dy, savedInput(node, 'a').shape), b: unbroadcast(dy, savedInput(node, 'b').shape) };
});
