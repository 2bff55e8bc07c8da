/** d crossEntropy: the backend's CrossEntropyGrad when it has one, else the composition's vjp. Labels get none. */
import { composeCrossEntropy } from '../compositions/cross-entropy.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'CrossEntropy',
  fusedGradient(composeCrossEntropy, {
    kernel: 'CrossEntropyGrad',
    inputs: (dys, node) => ({
      dloss: outputGrad(dys, node),
      logits: savedInput(node, 'logits'),
      labels: savedInput(node, 'labels'),
    }),
    outputs: (dlogits) => ({ logits: dlogits }),
  }),
);
