/** d(x·scale + shift) = scale·dy. */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { scale } from '../ops/elementwise.js';
import { outputGrad } from './grad-helpers.js';

registerGradient('Scale', (dys, node) => {
  const attrs = node.attrs as KernelAttrs<'Scale'>;
  return { x: scale(outputGrad(dys, node), attrs.scale) };
});
