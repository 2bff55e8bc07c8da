/**
 * d max_axes x: dy goes to the positions equal to the maximum. When several positions tie for the maximum, dy is
 * SPLIT EVENLY among them (each gets dy / #ties), like PyTorch's `amax`/`max(dim=None)` backward, so the
 * gradient of a sum of maxima stays a subgradient. Where the maximum is NaN no position gets a gradient.
 */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { div, equal, where } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import { keptShape, outputGrad, savedInput, savedOutput, scalarLike } from './grad-helpers.js';

registerGradient('Max', (dys, node) => {
  const { axes } = node.attrs as KernelAttrs<'Max'>;
  const x = savedInput(node, 'x');
  const kept = keptShape(x.shape, axes);
  const isMax = equal(x, reshape(savedOutput(node), kept));
  const ties = sum(cast(isMax, x.dtype), axes, true);
  const share = div(reshape(outputGrad(dys, node), kept), ties);
  return { x: where(isMax, share, scalarLike(x, 0)) };
});
