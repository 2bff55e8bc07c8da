/**
 * Mamba2's grouped gated RMSNorm composed from primitives, all in ≥ f32. x, z [..., D] split into groups of
 * `groupSize` consecutive channels ([..., D/groupSize, groupSize]), each normalised on its own:
 *   normBeforeGate = false:  g = x ⊙ silu(z);  y = weight ⊙ g · rsqrt(mean_group(g²) + eps)
 *   normBeforeGate = true:   y = weight ⊙ x · rsqrt(mean_group(x²) + eps) ⊙ silu(z)
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { mul, rsqrt, scale, silu, square } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { narrow, widen } from './precision.js';

/** v · rsqrt(mean(v²) + eps) within each group of `groupSize` channels of the last axis. */
function groupRmsNormalise(v: Tensor, groupSize: number, eps: number): Tensor {
  const d = v.shape[v.rank - 1]!;
  const grouped = reshape(v, [...v.shape.slice(0, -1), d / groupSize, groupSize]);
  const rstd = rsqrt(scale(mean(square(grouped), -1, true), 1, eps));
  return reshape(mul(grouped, rstd), v.shape);
}

export const composeRmsNormGated: Composition<'RmsNormGated'> = (
  { x, z, weight },
  { eps, groupSize, normBeforeGate },
) =>
  tidy(() => {
    const [xw, gate, w] = [widen(x), silu(widen(z)), widen(weight)];
    const y = normBeforeGate
      ? mul(mul(groupRmsNormalise(xw, groupSize, eps), w), gate)
      : mul(groupRmsNormalise(mul(xw, gate), groupSize, eps), w);
    return narrow(y, x.dtype);
  });
