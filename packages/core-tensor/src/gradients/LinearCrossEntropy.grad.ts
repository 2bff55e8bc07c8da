/** d linearCrossEntropy: the backend's LinearCrossEntropyGrad when it has one, else the composition's vjp. */
import { composeLinearCrossEntropy } from '../compositions/linear-cross-entropy.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'LinearCrossEntropy',
  fusedGradient(composeLinearCrossEntropy, {
    kernel: 'LinearCrossEntropyGrad',
    inputs: (dys, node) => ({
      dloss: outputGrad(dys, node),
      hidden: savedInput(node, 'hidden'),
      weight: savedInput(node, 'weight'),
      labels: savedInput(node, 'labels'),
    }),
    outputs: ({ dhidden, dweight }) => ({ hidden: dhidden, weight: dweight }),
  }),
);
