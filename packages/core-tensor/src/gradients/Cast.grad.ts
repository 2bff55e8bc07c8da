/**
 * d cast(x): the gradient cast back to x's dtype. Only float → float casts are differentiable: the engine does
 * not record casts to integer dtypes (their outputs are not float), and an integer x gets no gradient.
 */
import { isFloatDType } from '../dtype.js';
import { registerGradient } from '../engine.js';
import { cast } from '../ops/layout.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Cast', (dys, node) => {
  const x = savedInput(node, 'x');
  if (!isFloatDType(x.dtype)) return {};
  const dy = outputGrad(dys, node);
  return { x: dy.dtype === x.dtype ? dy : cast(dy, x.dtype) };
});
