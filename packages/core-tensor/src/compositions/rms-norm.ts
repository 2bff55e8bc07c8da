/**
 * RmsNorm composed from primitives (transformers' FalconH1RMSNorm):
 *   n = x · rsqrt(mean(x²) + eps)      in ≥ f32, then rounded to x's dtype
 *   y = weight ⊙ n                     in x's dtype
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { mul, rsqrt, scale, square } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { narrow, widen } from './precision.js';

export const composeRmsNorm: Composition<'RmsNorm'> = ({ x, weight }, { eps }) =>
  tidy(() => {
    const xw = widen(x);
    const rstd = rsqrt(scale(mean(square(xw), -1, true), 1, eps));
    const normalised = narrow(mul(xw, rstd), x.dtype);
    return mul(normalised, weight);
  });
