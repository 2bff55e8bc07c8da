/**
 * d x[begin : begin+size]: dy padded back to x's shape with zeros, one axis at a time, by concatenating zero
 * fills before and after it (no scatter kernel needed).
 */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { zeros } from '../ops/create.js';
import { concat } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Slice', (dys, node) => {
  const { begin, size } = node.attrs as KernelAttrs<'Slice'>;
  const x = savedInput(node, 'x');
  const dy = outputGrad(dys, node);
  if (dy.size === 0) return { x: zeros(x.shape, dy.dtype, dy.backend) };
  let grad: Tensor = dy;
  for (let axis = 0; axis < x.rank; axis++) {
    const before = begin[axis]!;
    const after = x.shape[axis]! - before - size[axis]!;
    if (before === 0 && after === 0) continue;
    const parts: Tensor[] = [];
    const padShape = (n: number): number[] => grad.shape.map((d, i) => (i === axis ? n : d));
    if (before > 0) parts.push(zeros(padShape(before), dy.dtype, dy.backend));
    parts.push(grad);
    if (after > 0) parts.push(zeros(padShape(after), dy.dtype, dy.backend));
    grad = concat(parts, axis);
  }
  return { x: grad };
});
