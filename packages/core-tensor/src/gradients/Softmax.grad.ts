/** d softmax: the backend's SoftmaxGrad (dx = y ⊙ (dy − Σ dy ⊙ y)) when it has one, else the composition's vjp. */
import { composeSoftmax } from '../compositions/softmax.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { outputGrad, savedOutput } from './grad-helpers.js';

registerGradient(
  'Softmax',
  fusedGradient(composeSoftmax, {
    kernel: 'SoftmaxGrad',
    inputs: (dys, node) => ({ dy: outputGrad(dys, node), y: savedOutput(node) }),
    outputs: (dx) => ({ x: dx }),
  }),
);
