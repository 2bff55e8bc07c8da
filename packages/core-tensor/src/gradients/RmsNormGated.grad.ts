/** d rmsNormGated: the backend's RmsNormGatedGrad when it has one, else the composition's vjp. */
import { composeRmsNormGated } from '../compositions/rms-norm-gated.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'RmsNormGated',
  fusedGradient(composeRmsNormGated, {
    kernel: 'RmsNormGatedGrad',
    inputs: (dys, node) => ({
      dy: outputGrad(dys, node),
      x: savedInput(node, 'x'),
      z: savedInput(node, 'z'),
      weight: savedInput(node, 'weight'),
    }),
    outputs: ({ dx, dz, dweight }) => ({ x: dx, z: dz, weight: dweight }),
  }),
);
