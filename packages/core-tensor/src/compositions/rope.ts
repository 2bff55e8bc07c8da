/**
 * Rope (GPT-NeoX "rotate half" over the whole head dim) composed from primitives. x [B, T, H, Dh],
 * positions i32 [B, T]; half = Dh/2; for i < half:
 *   angle    = ± positions · theta^(−2i/Dh)          (− with `inverse`)
 *   y[i]      = x[i]·cos(angle) − x[i+half]·sin(angle)
 *   y[i+half] = x[i+half]·cos(angle) + x[i]·sin(angle)
 * The angle, cos and sin are f32 whatever x's dtype, exactly as transformers computes them (and so the
 * reference backend): inv_freq_i = f32(1 / f32(θ^(2i/Dh))) and angle = f32(position · inv_freq_i); cos and sin
 * are evaluated in x's compute dtype (f64 for f64, else f32) and rounded to f32; the rotation itself runs in
 * ≥ f32 and rounds once to x's dtype.
 * The primitives have no sine or cosine, so they are evaluated here: the angle is reduced into [−π, π]
 * (truncating casts count the whole turns), then the Taylor series of sin and cos run to r^29 and r^28
 * (truncation error below 1e−17 on [−π, π]).
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { tensor } from '../ops/create.js';
import { add, mul, neg, scale, sub } from '../ops/elementwise.js';
import { cast, concat, split } from '../ops/layout.js';
import { reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { computeDType, narrow, widen } from './precision.js';

/** Series terms kept: sin r = r·Σ_{k<TERMS} (−r²)^k/(2k+1)!, cos r = Σ_{k<TERMS} (−r²)^k/(2k)!. */
const TERMS = 15;

/** 2π as a short head (exact times any whole number of turns below 2^16) plus the rest (Cody–Waite reduction). */
const TWO_PI_HEAD = 6.28125;
const TWO_PI_TAIL = 2 * Math.PI - TWO_PI_HEAD;

/** Taylor coefficients (−1)^k / (first + 2k)! for k < TERMS. */
function seriesCoefficients(first: 0 | 1): number[] {
  const out: number[] = [];
  let factorial = 1;
  for (let n = 1; n <= first; n++) factorial *= n;
  for (let k = 0; k < TERMS; k++) {
    out.push((k % 2 === 0 ? 1 : -1) / factorial);
    const n = first + 2 * k;
    factorial *= (n + 1) * (n + 2);
  }
  return out;
}

const SIN_COEFFICIENTS = seriesCoefficients(1);
const COS_COEFFICIENTS = seriesCoefficients(0);

/** Σ_k coefficients[k] · u^k by Horner's rule. */
function polynomial(u: Tensor, coefficients: readonly number[]): Tensor {
  let p = scale(u, 0, coefficients[coefficients.length - 1]!);
  for (let k = coefficients.length - 2; k >= 0; k--) p = scale(mul(p, u), 1, coefficients[k]!);
  return p;
}

/** The whole part of x, rounded toward zero (a cast to i32 truncates). */
function truncate(x: Tensor): Tensor {
  return cast(cast(x, 'i32'), x.dtype);
}

/** x − 2π·n, with the product split so that its head is exact. */
function minusTurns(x: Tensor, n: Tensor): Tensor {
  return sub(sub(x, scale(n, TWO_PI_HEAD)), scale(n, TWO_PI_TAIL));
}

/** [cos(angle), sin(angle)] for any real angles (|angle| < 2^31·2π). */
export function cosSin(angle: Tensor): [Tensor, Tensor] {
  const withinTurn = minusTurns(angle, truncate(scale(angle, 1 / (2 * Math.PI)))); // (−2π, 2π)
  const r = minusTurns(withinTurn, truncate(scale(withinTurn, 1 / Math.PI))); // [−π, π]
  const u = mul(r, r);
  return [polynomial(u, COS_COEFFICIENTS), mul(r, polynomial(u, SIN_COEFFICIENTS))];
}

export const composeRope: Composition<'Rope'> = ({ x, positions }, { theta, inverse }) =>
  tidy(() => {
    const [b, t, , dh] = x.shape as [number, number, number, number];
    const half = dh / 2;
    const dtype = computeDType(x.dtype);
    const f32 = Math.fround;
    const inverseFrequencies = Array.from({ length: half }, (_, i) => f32(1 / f32(f32(theta) ** f32((2 * i) / dh))));
    const frequencies = tensor(inverseFrequencies, [half], 'f32', x.backend);
    const angle = mul(reshape(cast(positions, 'f32'), [b, t, 1, 1]), frequencies); // f32 [B, T, 1, half]
    // cos and sin rounded to f32, then widened back to the compute dtype.
    const asF32 = (v: Tensor): Tensor => narrow(narrow(v, 'f32'), dtype);
    const [cosAngle, sinAngle] = cosSin(narrow(angle, dtype));
    const cos = asF32(cosAngle);
    const sin = asF32(inverse ? neg(sinAngle) : sinAngle);
    const [x1, x2] = split(widen(x), [half, half], -1);
    const y = concat([sub(mul(x1, cos), mul(x2, sin)), add(mul(x2, cos), mul(x1, sin))], -1);
    return narrow(y, x.dtype);
  });
