/** d causalConv1d: the backend's CausalConv1dGrad when it has one, else the composition's vjp. */
import { composeCausalConv1d } from '../compositions/causal-conv1d.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import type { Tensor } from '../tensor.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'CausalConv1d',
  fusedGradient(composeCausalConv1d, {
    kernel: 'CausalConv1dGrad',
    inputs: (dys, node) => ({
      dy: outputGrad(dys, node),
      x: savedInput(node, 'x'),
      weight: savedInput(node, 'weight'),
      bias: node.inputs.bias as Tensor | undefined,
      initialState: node.inputs.initialState as Tensor | undefined,
      seqIdx: node.inputs.seqIdx as Tensor | undefined,
    }),
    outputs: ({ dx, dweight, dbias, dinitialState }) => ({
      x: dx,
      weight: dweight,
      bias: dbias,
      initialState: dinitialState,
    }),
  }),
);
