/**
 * RmsNormGated and RmsNormGatedGrad: Mamba2's grouped gated RMSNorm, all in f64. x, z [R, D], weight [D]; each
 * row splits into D/groupSize groups of `groupSize` consecutive channels, normalised separately.
 *
 * normBeforeGate = false (every published Falcon-H1): gate, then normalise
 *   g = x ⊙ silu(z);  r = 1/√(mean_group(g²) + eps);  n = g·r;  y = weight ⊙ n
 *   backward: dn = dy ⊙ weight;  dg = r·(dn − n·mean_group(dn ⊙ n))
 *             dx = dg ⊙ silu(z);  dz = dg ⊙ x ⊙ silu'(z);  dweight = Σ_rows dy ⊙ n
 * normBeforeGate = true: normalise, then gate
 *   r = 1/√(mean_group(x²) + eps);  n = x·r;  y = weight ⊙ n ⊙ silu(z)
 *   backward: dn = dy ⊙ weight ⊙ silu(z);  dx = r·(dn − n·mean_group(dn ⊙ n))
 *             dz = dy ⊙ weight ⊙ n ⊙ silu'(z);  dweight = Σ_rows dy ⊙ n ⊙ silu(z)
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { siluGradOf, siluOf } from './activations.js';

export interface RmsNormGatedOptions {
  eps: number;
  groupSize: number;
  normBeforeGate: boolean;
}

/** The normalised input of one group: g (gated or not) at channels [start, start+size), and its r. */
function groupRstd(
  x: Float64Array,
  z: Float64Array,
  start: number,
  size: number,
  gateFirst: boolean,
  eps: number,
): number {
  let sumSquares = 0;
  for (let i = start; i < start + size; i++) {
    const g = gateFirst ? x[i] * siluOf(z[i]) : x[i];
    sumSquares += g * g;
  }
  return 1 / Math.sqrt(sumSquares / size + eps);
}

/** y [R, D] ← RmsNormGated(x, z, weight). */
export function rmsNormGatedForward(
  y: Float64Array,
  x: Float64Array,
  z: Float64Array,
  weight: Float64Array,
  { eps, groupSize, normBeforeGate }: RmsNormGatedOptions,
  D: number,
): void {
  for (let start = 0; start < x.length; start += groupSize) {
    const rstd = groupRstd(x, z, start, groupSize, !normBeforeGate, eps);
    for (let i = start; i < start + groupSize; i++) {
      const w = weight[i % D];
      y[i] = normBeforeGate ? w * x[i] * rstd * siluOf(z[i]) : w * x[i] * siluOf(z[i]) * rstd;
    }
  }
}

/** dx, dz [R, D], dweight [D] (accumulated: zero it first) ← gradients of rmsNormGatedForward given dy. */
export function rmsNormGatedBackward(
  dx: Float64Array,
  dz: Float64Array,
  dweight: Float64Array,
  dy: Float64Array,
  x: Float64Array,
  z: Float64Array,
  weight: Float64Array,
  { eps, groupSize, normBeforeGate }: RmsNormGatedOptions,
  D: number,
): void {
  const end = (start: number) => start + groupSize;
  for (let start = 0; start < x.length; start += groupSize) {
    const rstd = groupRstd(x, z, start, groupSize, !normBeforeGate, eps);
    // pre[i]: what is normalised (g = x·silu(z), or x); dn[i] = ∂L/∂n
    const pre = (i: number) => (normBeforeGate ? x[i] : x[i] * siluOf(z[i]));
    const dn = (i: number) => dy[i] * weight[i % D] * (normBeforeGate ? siluOf(z[i]) : 1);
    let meanDnN = 0;
    for (let i = start; i < end(start); i++) meanDnN += dn(i) * pre(i) * rstd;
    meanDnN /= groupSize;
    for (let i = start; i < end(start); i++) {
      const n = pre(i) * rstd;
      const dpre = rstd * (dn(i) - n * meanDnN); // ∂L/∂(what was normalised)
      if (normBeforeGate) {
        dx[i] = dpre;
        dz[i] = dy[i] * weight[i % D] * n * siluGradOf(z[i]);
        dweight[i % D] += dy[i] * n * siluOf(z[i]);
      } else {
        dx[i] = dpre * siluOf(z[i]);
        dz[i] = dpre * x[i] * siluGradOf(z[i]);
        dweight[i % D] += dy[i] * n;
      }
    }
  }
}

export function rmsNormGated(
  store: BufferStore,
  { x, z, weight }: KernelInputs<'RmsNormGated'>,
  attrs: KernelAttrs<'RmsNormGated'>,
): TensorInfo {
  const xs = store.floats(x);
  const y = new Float64Array(xs.length);
  rmsNormGatedForward(y, xs, store.floats(z), store.floats(weight), attrs, weight.shape[0]);
  return store.output(y, x.shape, x.dtype);
}

export function rmsNormGatedGrad(
  store: BufferStore,
  { dy, x, z, weight }: KernelInputs<'RmsNormGatedGrad'>,
  attrs: KernelAttrs<'RmsNormGatedGrad'>,
): KernelOutputs<'RmsNormGatedGrad'> {
  const xs = store.floats(x);
  const D = weight.shape[0];
  const dx = new Float64Array(xs.length);
  const dz = new Float64Array(xs.length);
  const dweight = new Float64Array(D);
  rmsNormGatedBackward(dx, dz, dweight, store.floats(dy), xs, store.floats(z), store.floats(weight), attrs, D);
  return {
    dx: store.output(dx, x.shape, x.dtype),
    dz: store.output(dz, z.shape, z.dtype),
    dweight: store.output(dweight, weight.shape, weight.dtype),
  };
}
