/** d concat(xs, axis): each input gets the slice of dy it occupied along the axis. */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { sliceAxis } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import { outputGrad } from './grad-helpers.js';

registerGradient('Concat', (dys, node) => {
  const { axis } = node.attrs as KernelAttrs<'Concat'>;
  const dy = outputGrad(dys, node);
  const xs = node.inputs.xs as Tensor[];
  let start = 0;
  const grads = xs.map((x) => {
    const length = x.shape[axis]!;
    const g = sliceAxis(dy, axis, start, length);
    start += length;
    return g;
  });
  return { xs: grads };
});
