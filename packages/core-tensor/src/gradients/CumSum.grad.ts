/**
 * d cumsum(x): each x[j] feeds the outputs that summed it, so its gradient is the cumulative sum of dy in the
 * opposite direction with the same exclusivity (inclusive forward → inclusive reverse, exclusive → exclusive).
 */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { cumsum } from '../ops/reduce.js';
import { outputGrad } from './grad-helpers.js';

registerGradient('CumSum', (dys, node) => {
  const { axis, exclusive, reverse } = node.attrs as KernelAttrs<'CumSum'>;
  return { x: cumsum(outputGrad(dys, node), axis, { exclusive, reverse: !reverse }) };
});
