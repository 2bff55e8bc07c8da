/**
 * d ssmScan: the backend's SsmScanGrad when it has one, else the composition's vjp. SsmScanGrad needs dy: when
 * only the final state got a gradient, dy is zeros (in y's dtype, which is dt's); dFinalState may be absent.
 */
import { composeSsmScan } from '../compositions/ssm-scan.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';
import { zeros } from '../ops/create.js';
import type { Tensor } from '../tensor.js';
import { savedInput, savedOutput } from './grad-helpers.js';

registerGradient(
  'SsmScan',
  fusedGradient(composeSsmScan, {
    kernel: 'SsmScanGrad',
    inputs: (dys, node) => {
      const y = savedOutput(node, 'y');
      return {
        dy: dys.y ?? zeros(y.shape, y.dtype, y.backend),
        dFinalState: dys.finalState,
        x: savedInput(node, 'x'),
        dt: savedInput(node, 'dt'),
        A: savedInput(node, 'A'),
        Bm: savedInput(node, 'Bm'),
        Cm: savedInput(node, 'Cm'),
        D: node.inputs.D as Tensor | undefined,
        initialState: node.inputs.initialState as Tensor | undefined,
        seqIdx: node.inputs.seqIdx as Tensor | undefined,
      };
    },
    outputs: ({ dx, ddt, dA, dBm, dCm, dD, dinitialState }) => ({
      x: dx,
      dt: ddt,
      A: dA,
      Bm: dBm,
      Cm: dCm,
      D: dD,
      initialState: dinitialState,
    }),
  }),
);
