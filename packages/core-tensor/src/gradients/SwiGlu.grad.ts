/** d swiGlu: the backend's SwiGluGrad when it has one, else the composition's vjp. */
import { composeSwiGlu } from '../compositions/swi-glu.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'SwiGlu',
  fusedGradient(composeSwiGlu, {
    kernel: 'SwiGluGrad',
    inputs: (dys, node) => ({
      dy: outputGrad(dys, node),
      gate: savedInput(node, 'gate'),
      up: savedInput(node, 'up'),
    }),
    outputs: ({ dgate, dup }) => ({ gate: dgate, up: dup }),
  }),
);
