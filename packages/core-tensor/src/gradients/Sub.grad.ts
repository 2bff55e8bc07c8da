/** d(a − b): dy to a, −dy to b, each summed over its broadcast axes. */
import { registerGradient } from '../engine.js';
import { neg } from '../ops/elementwise.js';
import { outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('Sub', (dys, node) => {
  const dy = outputGrad(dys, node);
  return { a: unbroadcast(dy, savedInput(node, 'a').shape), b: neg(unbroadcast(dy, savedInput(node, 'b').shape)) };
});
