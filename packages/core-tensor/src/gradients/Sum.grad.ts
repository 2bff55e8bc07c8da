/** d Σ_axes x: dy (with the reduced axes restored as size 1) broadcast back over x's shape. */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { reshape } from '../ops/reshape.js';
import { broadcastTo, keptShape, outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Sum', (dys, node) => {
  const { axes } = node.attrs as KernelAttrs<'Sum'>;
  const x = savedInput(node, 'x');
  return { x: broadcastTo(reshape(outputGrad(dys, node), keptShape(x.shape, axes)), x.shape) };
});
