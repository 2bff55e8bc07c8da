/**
 * Softmax composed from primitives: y = exp(x − max) / Σ exp(x − max) along the last axis, in ≥ f32.
 * The max is a constant shift (softmax does not depend on it), so it is taken outside the tape.
 */
import { noGrad, tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { div, exp, sub } from '../ops/elementwise.js';
import { copy } from '../ops/layout.js';
import { max, sum } from '../ops/reduce.js';
import { narrow, widen } from './precision.js';

export const composeSoftmax: Composition<'Softmax'> = ({ x }) =>
  tidy(() => {
    if (x.size === 0) return copy(x);
    const xw = widen(x);
    const shift = noGrad(() => max(xw, -1, true));
    const e = exp(sub(xw, shift));
    return narrow(div(e, sum(e, -1, true)), x.dtype);
  });
