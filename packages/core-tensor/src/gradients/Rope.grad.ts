/**
 * d rope: the rotation is orthogonal, so its vector-Jacobian product is the inverse rotation of dy, i.e. Rope
 * itself with `inverse` flipped (native or composed, as the forward). Positions get no gradient.
 */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { rope } from '../ops/fused/rope.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Rope', (dys, node) => {
  const { theta, inverse } = node.attrs as KernelAttrs<'Rope'>;
  return { x: rope(outputGrad(dys, node), savedInput(node, 'positions'), theta, !inverse) };
});
