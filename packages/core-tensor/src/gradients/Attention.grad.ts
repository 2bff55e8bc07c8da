/** d attention: the backend's AttentionGrad when it has one, else the composition's vjp. */
import { composeAttention } from '../compositions/attention.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import type { Tensor } from '../tensor.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient(
  'Attention',
  fusedGradient(composeAttention, {
    kernel: 'AttentionGrad',
    inputs: (dys, node) => ({
      dy: outputGrad(dys, node),
      q: savedInput(node, 'q'),
      k: savedInput(node, 'k'),
      v: savedInput(node, 'v'),
      qSeqIdx: node.inputs.qSeqIdx as Tensor | undefined,
      kSeqIdx: node.inputs.kSeqIdx as Tensor | undefined,
    }),
    outputs: ({ dq, dk, dv }) => ({ q: dq, k: dk, v: dv }),
  }),
);
