/** d rmsNorm: the backend's RmsNormGrad when it has one, else the composition's vjp. */
import { composeRmsNorm } from '../compositions/rms-norm.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'RmsNorm',
  fusedGradient(composeRmsNorm, {
    kernel: 'RmsNormGrad',
    inputs: (dys, node) => ({
      dy: outputGrad(dys, node),
      x: savedInput(node, 'x'),
      weight: savedInput(node, 'weight'),
    }),
    outputs: ({ dx, dweight }) => ({ x: dx, weight: dweight }),
  }),
);
