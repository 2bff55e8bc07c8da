/**
 * AddRmsNorm in f64: the residual sum rounded to the dtype (as Add stores it), then RmsNorm.ts's forward on that
 * stored sum. x, residual [R, D], weight [D].
 *   sum    = round(x + residual)
 *   normed = weight ⊙ round(sum · r),  r = 1 / √(mean(sum²) + eps)     (rounded once more when stored)
 */
import type { FloatDType, KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { roundToDType } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { requireFloat } from './elementwise-factories.js';
import { rmsNormForward } from './RmsNorm.js';

export function addRmsNorm(
  store: BufferStore,
  { x, residual, weight }: KernelInputs<'AddRmsNorm'>,
  { eps }: KernelAttrs<'AddRmsNorm'>,
): KernelOutputs<'AddRmsNorm'> {
  requireFloat('AddRmsNorm', x);
  const dtype = x.dtype as FloatDType;
  const xs = store.floats(x);
  const rs = store.floats(residual);
  const D = weight.shape[0];
  const sum = new Float64Array(xs.length);
  for (let i = 0; i < sum.length; i++) sum[i] = roundToDType(xs[i] + rs[i], dtype);
  const normed = new Float64Array(xs.length);
  rmsNormForward(normed, sum, store.floats(weight), eps, dtype, sum.length / D, D);
  return { sum: store.output(sum, x.shape, x.dtype), normed: store.output(normed, x.shape, x.dtype) };
}
