/** d transpose(x, perm) = transpose(dy, perm⁻¹). */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { transpose } from '../ops/layout.js';
import { outputGrad } from './grad-helpers.js';

registerGradient('Transpose', (dys, node) => {
  const { perm } = node.attrs as KernelAttrs<'Transpose'>;
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return { x: transpose(outputGrad(dys, node), inverse) };
});
