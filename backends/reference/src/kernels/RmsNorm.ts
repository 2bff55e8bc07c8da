/**
 * RmsNorm and RmsNormGrad over the last axis (transformers' FalconH1RMSNorm), in f64. x [R, D], weight [D].
 *   r = 1 / √(mean(x²) + eps)
 *   n = round_x(x · r)              the normalised row, rounded to x's dtype before the weight multiply
 *   y = weight ⊙ n
 * Backward (the rounding of n counts as the identity; dweight uses the rounded n the forward multiplied):
 *   g  = dy ⊙ weight
 *   dx = r · (g − (x·r) · mean(g ⊙ x·r))
 *   dweight = Σ_rows dy ⊙ n
 */
import type { FloatDType, KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { roundToDType } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { requireFloat } from './elementwise-factories.js';

function rstdOf(x: Float64Array, row: number, D: number, eps: number): number {
  let sumSquares = 0;
  for (let i = 0; i < D; i++) sumSquares += x[row + i] * x[row + i];
  return 1 / Math.sqrt(sumSquares / D + eps);
}

/** y [R, D] ← weight ⊙ round_xDType(x · r). */
export function rmsNormForward(
  y: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  eps: number,
  xDType: FloatDType,
  R: number,
  D: number,
): void {
  for (let r = 0; r < R; r++) {
    const row = r * D;
    const rstd = rstdOf(x, row, D, eps);
    for (let i = 0; i < D; i++) y[row + i] = weight[i] * roundToDType(x[row + i] * rstd, xDType);
  }
}

/** dx [R, D], dweight [D] (accumulated: zero it first) ← gradients of rmsNormForward given dy [R, D]. */
export function rmsNormBackward(
  dx: Float64Array,
  dweight: Float64Array,
  dy: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  eps: number,
  xDType: FloatDType,
  R: number,
  D: number,
): void {
  for (let r = 0; r < R; r++) {
    const row = r * D;
    const rstd = rstdOf(x, row, D, eps);
    let meanGn = 0; // mean(g ⊙ n) with g = dy ⊙ weight, n = x·r
    for (let i = 0; i < D; i++) meanGn += dy[row + i] * weight[i] * x[row + i] * rstd;
    meanGn /= D;
    for (let i = 0; i < D; i++) {
      const n = x[row + i] * rstd;
      dx[row + i] = rstd * (dy[row + i] * weight[i] - n * meanGn);
      dweight[i] += dy[row + i] * roundToDType(n, xDType);
    }
  }
}

export function rmsNorm(
  store: BufferStore,
  { x, weight }: KernelInputs<'RmsNorm'>,
  { eps }: KernelAttrs<'RmsNorm'>,
): TensorInfo {
  requireFloat('RmsNorm', x);
  const xs = store.floats(x);
  const D = weight.shape[0];
  const y = new Float64Array(xs.length);
  rmsNormForward(y, xs, store.floats(weight), eps, x.dtype as FloatDType, xs.length / D, D);
  return store.output(y, x.shape, x.dtype);
}

export function rmsNormGrad(
  store: BufferStore,
  { dy, x, weight }: KernelInputs<'RmsNormGrad'>,
  { eps }: KernelAttrs<'RmsNormGrad'>,
): KernelOutputs<'RmsNormGrad'> {
  requireFloat('RmsNormGrad', x);
  const xs = store.floats(x);
  const D = weight.shape[0];
  const dx = new Float64Array(xs.length);
  const dweight = new Float64Array(D);
  rmsNormBackward(
    dx,
    dweight,
    store.floats(dy),
    xs,
    store.floats(weight),
    eps,
    x.dtype as FloatDType,
    xs.length / D,
    D,
  );
  return { dx: store.output(dx, x.shape, x.dtype), dweight: store.output(dweight, weight.shape, weight.dtype) };
}
