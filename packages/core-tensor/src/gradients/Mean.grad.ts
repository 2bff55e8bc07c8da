/** d mean_axes x: dy / count (count = the number of reduced elements) broadcast back over x's shape. */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { scale } from '../ops/elementwise.js';
import { reshape } from '../ops/reshape.js';
import { broadcastTo, keptShape, outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Mean', (dys, node) => {
  const { axes } = node.attrs as KernelAttrs<'Mean'>;
  const x = savedInput(node, 'x');
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const dy = reshape(outputGrad(dys, node), keptShape(x.shape, axes));
  return { x: broadcastTo(scale(dy, 1 / count), x.shape) };
});
