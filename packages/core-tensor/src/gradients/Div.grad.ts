/** d(a/b): dy/b to a and −(dy/b)·(a/b) to b (the saved output is a/b), each summed over its broadcast axes. */
import { registerGradient } from '../engine.js';
import { div, mul, neg } from '../ops/elementwise.js';
import { ifNeeded, outputGrad, savedInput, savedOutput, unbroadcast } from './grad-helpers.js';

registerGradient('Div', (dys, node, needs) => {
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  const da = div(outputGrad(dys, node), b);
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(da, a.shape)),
    b: ifNeeded(needs, 'b', () => unbroadcast(neg(mul(da, savedOutput(node))), b.shape)),
  };
});
