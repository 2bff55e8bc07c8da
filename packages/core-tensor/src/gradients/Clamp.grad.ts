/**
 * d clamp(x, min, max): dy passes where min ≤ x ≤ max and is 0 elsewhere. The boundary is inclusive, as in
 * PyTorch's `clamp` backward (a value sitting exactly on a bound still receives its gradient). NaN inputs get 0.
 */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { greaterEqual, lessEqual, where } from '../ops/elementwise.js';
import { outputGrad, savedInput, scalarLike } from './grad-helpers.js';

registerGradient('Clamp', (dys, node) => {
  const { min, max } = node.attrs as KernelAttrs<'Clamp'>;
  const dy = outputGrad(dys, node);
  const x = savedInput(node, 'x');
  const zero = scalarLike(dy, 0);
  const belowMax = where(lessEqual(x, scalarLike(x, max)), dy, zero);
  return { x: where(greaterEqual(x, scalarLike(x, min)), belowMax, zero) };
});
